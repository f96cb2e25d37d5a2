// One AUTH NTLM exchange on the client side: NEGOTIATE as the initial
// response, the server's CHALLENGE (parsed by offsets, fuzzed), an
// AUTHENTICATE with an NTLMv2 response from the password's NT hash (never
// NTLMv1). The user (UTF-8) may be "DOMAIN\\user"; without a domain the
// server's NetBIOS domain is not assumed: the name goes with an empty domain.
// NTLM has no mutual authentication, so the exchange is "satisfied" once
// the AUTHENTICATE is sent.
#pragma once
#include <mailfw/plugin.hpp>

#include <string>

#include "legacy_crypto.hpp"

namespace mailfw::sasl_ntlm {

// Plain logic: plugin.cpp binds it to the ABI (as sasl-plain does).
class NtlmClient {
public:
    NtlmClient(const mailfw_client_params& params, const plugin_common::LegacyCrypto& crypto);
    ~NtlmClient();
    NtlmClient(const NtlmClient&) = delete;
    NtlmClient& operator=(const NtlmClient&) = delete;
    int step(const unsigned char* in, size_t len, std::string& out);

private:
    enum class State { negotiate, challenge, done };
    int fail(std::string reason, std::string& out);
    State state_ = State::negotiate;
    std::string user_, domain_, password_;
    const plugin_common::LegacyCrypto& crypto_;
};

}  // namespace mailfw::sasl_ntlm
