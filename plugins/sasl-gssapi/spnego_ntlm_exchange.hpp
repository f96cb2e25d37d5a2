// NTLM inside SPNEGO on the server: what an MS-SSEAN client without a
// Kerberos ticket negotiates (MS-SPNG; RFC 4178). The NTLM itself is
// ntlm::Acceptor against the stores' NT hashes (as AUTH NTLM); this class is
// the SPNEGO framing around it:
//
//   NegTokenInit [NTLM first, NEGOTIATE]  -> NegTokenResp accept-incomplete, CHALLENGE
//   NegTokenInit [NTLM later in the list] -> NegTokenResp request-mic (then the NEGOTIATE)
//   NegTokenResp [AUTHENTICATE, MIC]      -> NegTokenResp accept-completed, MIC; 235
//
// mechListMIC (RFC 4178 §5) protects the mechanism list from a downgrade: it
// is required when NTLM was not the client's first choice, or when the
// client's AUTHENTICATE carries a MIC (Windows, gss-ntlmssp), or whenever the
// client sends one; it is checked with the client's signing key and answered
// with the server's.
#pragma once
#include <mailfw/plugin.hpp>

#include <string>
#include <string_view>

#include "ntlm/acceptor.hpp"
#include "spnego_tokens.hpp"

namespace mailfw::sasl_gssapi {

class SpnegoNtlmExchange {
public:
    SpnegoNtlmExchange(const Host& host, mailfw_session* session, const ntlm::AcceptorSettings& settings);
    // The client's NegTokenInit, in which NTLM was chosen.
    int start(const NegTokenInit& init, std::string& out);
    // Each later token (a NegTokenResp).
    int step(std::string_view token, std::string& out);

private:
    enum class State { negotiate, authenticate, done };
    int challenge(std::string_view negotiate, bool first_reply, std::string& out);
    int authenticate(const NegTokenResp& resp, std::string& out);
    int fail(std::string reason, std::string& out);

    const Host& host_;
    mailfw_session* session_;
    ntlm::Acceptor acceptor_;
    State state_ = State::negotiate;
    std::string mech_types_der_;
    bool mic_required_ = false;
};

}  // namespace mailfw::sasl_gssapi
