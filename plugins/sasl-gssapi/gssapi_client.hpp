// One AUTH GSSAPI exchange on the client side: an MS-SSEAN initiator
// (SPNEGO, MS-SSEAN 3.1.5.1: its NegTokenInit as the initial response), or
// the RFC 4752 variant (raw Kerberos, then the security-layer step, for
// servers that take only that). Credentials: the user's ticket cache, or,
// when the application gives a password, fresh ones from the KDC
// (gss_acquire_cred_with_password). Mutual authentication is required: the
// exchange is satisfied (MAILFW_SASL_OK) only once the server has proved
// who it is -- except over NTLM (when `ntlm` allows it inside SPNEGO),
// which has no mutual authentication; the server's mechListMIC is the most
// it proves. SPNEGO negotiates only what `kerberos`/`ntlm` allow, so a
// missing service principal cannot silently fall back to NTLM.
//
// Every 334 gets an answer: the next token, or an empty line once the
// context is established (MS-SSEAN 4.1; RFC 4752 before the layer step).
#pragma once
#include <gssapi/gssapi.h>
#include <mailfw/plugin.hpp>

#include <string>

namespace mailfw::sasl_gssapi {

// Plain logic: plugin.cpp binds it to the ABI (as sasl-plain does).
class GssapiClient {
public:
    GssapiClient(const Host& host, const mailfw_client_params& params, bool spnego, bool kerberos, bool ntlm);
    ~GssapiClient();
    GssapiClient(const GssapiClient&) = delete;
    GssapiClient& operator=(const GssapiClient&) = delete;
    int step(const unsigned char* in, size_t len, std::string& out);

private:
    enum class State { initiating, established, done };
    int start(std::string& out);
    int restrict_spnego(std::string& out);  // gss_set_neg_mechs to kerberos_/ntlm_
    int initiate(std::string_view token, std::string& out);
    int answer_offer(std::string_view wrapped, std::string& out);
    int fail(std::string reason, std::string& out);

    const Host& host_;
    const bool spnego_, kerberos_, ntlm_;
    std::string user_, password_, authzid_, target_;
    State state_ = State::initiating;
    gss_cred_id_t cred_ = GSS_C_NO_CREDENTIAL;
    gss_name_t target_name_ = GSS_C_NO_NAME;
    gss_ctx_id_t context_ = GSS_C_NO_CONTEXT;
};

}  // namespace mailfw::sasl_gssapi
