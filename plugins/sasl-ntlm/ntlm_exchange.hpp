// One AUTH NTLM exchange on the server (MS-SMTPNTLM; MS-OXSMTP 4's example:
// "AUTH NTLM" -> "334 NTLM supported" -> NEGOTIATE -> CHALLENGE ->
// AUTHENTICATE -> 235). The NT hash comes from the credential stores
// (store-sqlite's ntlm_hashes), so any store can serve NTLM; the response
// must be NTLMv2 unless NTLMv1 is allowed.
#pragma once
#include <mailfw/plugin.hpp>

#include <string>

#include "legacy_crypto.hpp"
#include "ntlm_verify.hpp"

namespace mailfw::sasl_ntlm {

struct NtlmSettings {
    std::string netbios_domain, netbios_computer, dns_domain, dns_computer;
    bool allow_v1 = false;
    const plugin_common::LegacyCrypto* crypto = nullptr;  // the instance's
};

// Plain logic: plugin.cpp binds it to the ABI (as sasl-plain does).
class NtlmExchange {
public:
    NtlmExchange(const Host& host, mailfw_session* session, const NtlmSettings& settings);
    ~NtlmExchange();
    NtlmExchange(const NtlmExchange&) = delete;
    NtlmExchange& operator=(const NtlmExchange&) = delete;
    int step(const unsigned char* in, size_t len, std::string& out);

private:
    enum class State { negotiate, authenticate, done };
    int challenge(std::string_view negotiate, std::string& out);
    int authenticate(std::string_view message, std::string& out);
    int fail(std::string reason, std::string& out);

    const Host& host_;
    mailfw_session* session_;
    const NtlmSettings& settings_;
    State state_ = State::negotiate;
    Challenge server_challenge_{};
    uint32_t flags_ = 0;
};

}  // namespace mailfw::sasl_ntlm
