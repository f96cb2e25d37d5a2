// One AUTH GSSAPI exchange on the server (MS-SSEAN over MIT krb5): every
// token goes to one GSS-API acceptor context, which takes SPNEGO (the
// MS-SSEAN client) and raw Kerberos (RFC 4752: curl, gsasl, Thunderbird)
// alike. The states:
//
//   accepting   tokens in, tokens out until the context is established
//   last-token  (raw Kerberos) the acceptor's final token went out in a 334;
//               the client's empty answer comes back
//   layer       (raw Kerberos) the wrapped "no security layer" offer went
//               out; the client's wrapped answer, with its authzid, decides
//
// SPNEGO clients finish as MS-SSEAN 4.1 shows: the final NegTokenResp in a
// 334, the client's (empty) answer, 235 -- Microsoft's SPNEGO-in-SASL has no
// layer step. A SPNEGO client whose NegTokenInit prefers NTLM (it has no
// Kerberos ticket) goes to SpnegoNtlmExchange instead, when `mechanisms`
// allows NTLM; MIT's SPNEGO acceptor is restricted to Kerberos. A new exchange is made for every AUTH attempt and destroyed
// after it (no state crosses attempts: CVE-2011-1720).
#pragma once
#include <gssapi/gssapi.h>
#include <mailfw/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

#include "ntlm/acceptor.hpp"
#include "spnego_ntlm_exchange.hpp"
#include "token_kind.hpp"

namespace mailfw::sasl_gssapi {

// How an authenticated principal becomes the mail user name.
enum class UserName {
    short_name,  // alice@EXAMPLE.ORG -> alice
    principal,   // alice@EXAMPLE.ORG as it is
    localname    // krb5.conf's auth_to_local rules (gss_localname)
};

struct GssapiSettings {
    bool kerberos = true;  // `mechanisms`: Kerberos (SPNEGO and raw) ...
    bool ntlm = false;     // ... and NTLM inside SPNEGO
    gss_cred_id_t credentials = GSS_C_NO_CREDENTIAL;  // Kerberos only
    ntlm::AcceptorSettings ntlm_names;
    std::vector<std::string> realms;  // accepted realms; empty: any
    UserName user_name = UserName::short_name;
};

// Plain logic: plugin.cpp binds it to the ABI (as sasl-plain does).
class GssapiExchange {
public:
    GssapiExchange(const Host& host, mailfw_session* session, const GssapiSettings& settings);
    ~GssapiExchange();
    GssapiExchange(const GssapiExchange&) = delete;
    GssapiExchange& operator=(const GssapiExchange&) = delete;
    int step(const unsigned char* in, size_t len, std::string& out);

private:
    enum class State { accepting, last_token, layer, ntlm, done };
    int accept(std::string_view token, std::string& out);
    // SPNEGO's first token: Kerberos (MIT) or NTLM (ours), by the client's order.
    int negotiate(std::string_view token, std::string& out);
    std::string identify(gss_name_t source);  // principal_ and user_; else why not
    int offer_layer(std::string& out);  // raw Kerberos: the wrapped offer, in a 334
    int finish_layer(std::string_view wrapped, std::string& out);
    int fail(std::string reason, std::string& out);  // MAILFW_SASL_FAIL, the reason for the log
    int authenticated(const std::string& authzid, std::string& out);

    const Host& host_;
    mailfw_session* session_;
    const GssapiSettings& settings_;
    State state_ = State::accepting;
    TokenKind kind_ = TokenKind::other;
    gss_ctx_id_t context_ = GSS_C_NO_CONTEXT;
    gss_OID mech_ = GSS_C_NO_OID;
    std::string principal_, user_;
    std::unique_ptr<SpnegoNtlmExchange> ntlm_;
};

}  // namespace mailfw::sasl_gssapi
