// One AUTH NTLM exchange on the server (MS-SMTPNTLM; MS-OXSMTP 4's example:
// "AUTH NTLM" -> "334 NTLM supported" -> NEGOTIATE -> CHALLENGE ->
// AUTHENTICATE -> 235): the SASL framing around ntlm::Acceptor, which does
// the NTLM itself against the stores' NT hashes.
#pragma once
#include <mailfw/plugin.hpp>

#include <string>

#include "ntlm/acceptor.hpp"

namespace mailfw::sasl_ntlm {

// Plain logic: plugin.cpp binds it to the ABI (as sasl-plain does).
class NtlmExchange {
public:
    NtlmExchange(const Host& host, mailfw_session* session, const ntlm::AcceptorSettings& settings);
    int step(const unsigned char* in, size_t len, std::string& out);

private:
    enum class State { negotiate, authenticate, done };
    int fail(std::string reason, std::string& out);

    const Host& host_;
    mailfw_session* session_;
    ntlm::Acceptor acceptor_;
    State state_ = State::negotiate;
};

}  // namespace mailfw::sasl_ntlm
