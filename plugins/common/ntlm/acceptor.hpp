// The server side of one NTLM authentication (MS-NLMP 3.2), free of any
// framing: sasl-ntlm carries the three messages in AUTH NTLM lines
// (MS-SMTPNTLM), sasl-gssapi inside SPNEGO tokens (MS-SSEAN). The NT hash
// comes from the credential stores (store-sqlite's ntlm_hashes) through a
// lookup the caller gives, so any store can serve NTLM; the response must be
// NTLMv2 unless NTLMv1 is allowed. A MIC in the AUTHENTICATE is checked.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "legacy_crypto.hpp"
#include "ntlm/responses.hpp"
#include "ntlm/session_security.hpp"

namespace mailfw::ntlm {

struct AcceptorSettings {
    std::string netbios_domain, netbios_computer, dns_domain, dns_computer;
    bool allow_v1 = false;
    const plugin_common::LegacyCrypto* crypto = nullptr;  // DES for NTLMv1
};

// The names the server gives in its CHALLENGE, from its host name
// (mx.example.org: MX, example.org; `domain`, else EXAMPLE).
AcceptorSettings names_from_hostname(std::string_view hostname, std::optional<std::string> domain);

// A user's NT hash (32 hex digits) from the stores, or nullopt.
using HashLookup = std::function<std::optional<std::string>(const std::string& user)>;

struct Outcome {
    bool authenticated = false;
    std::string user;     // UTF-8, as the client named itself
    std::string version;  // "NTLMv1" / "NTLMv2"
    std::string reason;   // when not authenticated: for the log
    bool message_mic = false;                   // the AUTHENTICATE carried a MIC (verified)
    std::unique_ptr<SessionSecurity> security;  // NTLMv2 only: for signatures
};

class Acceptor {
public:
    explicit Acceptor(const AcceptorSettings& settings);
    ~Acceptor();
    Acceptor(const Acceptor&) = delete;
    Acceptor& operator=(const Acceptor&) = delete;

    // The CHALLENGE for a NEGOTIATE; nullopt (with `why`) for anything else.
    std::optional<std::string> challenge(std::string_view negotiate, std::string& why);
    // After challenge(): the verdict on the client's AUTHENTICATE.
    Outcome authenticate(std::string_view message, const HashLookup& lookup);

private:
    const AcceptorSettings& settings_;
    Challenge server_challenge_{};
    uint32_t flags_ = 0;                  // as the CHALLENGE granted them
    std::string negotiate_, challenge_;   // as exchanged: the MIC covers them
};

}  // namespace mailfw::ntlm
