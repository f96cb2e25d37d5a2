// SPNEGO's two token types (RFC 4178 §4.2) as pure functions over DER bytes:
// a client's NegTokenInit and NegTokenResp parsed, the server's NegTokenResp
// built. MIT's acceptor does SPNEGO for Kerberos itself; these exist for
// NTLM inside SPNEGO, which mailfw answers from its own NTLM acceptor (the
// stores' NT hashes; gss-ntlmssp's acceptor knows only its user file of
// clear passwords). Definite DER lengths only, every length checked against
// what is left; fuzzed.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailfw::sasl_gssapi {

namespace mech_oid {  // DER contents of the OIDs (no tag, no length)
inline constexpr std::string_view ntlmssp{"\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a", 10};  // 1.3.6.1.4.1.311.2.2.10
inline constexpr std::string_view kerberos{"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02", 9};     // 1.2.840.113554.1.2.2
inline constexpr std::string_view ms_kerberos{"\x2a\x86\x48\x82\xf7\x12\x01\x02\x02", 9};  // 1.2.840.48018.1.2.2
}  // namespace mech_oid

struct NegTokenInit {
    std::vector<std::string> mech_types;  // the client's preference order
    std::string mech_types_der;           // the MechTypeList as sent: what a mechListMIC covers
    std::optional<std::string> mech_token;
    std::optional<std::string> mech_list_mic;
};
// The whole initial token: [APPLICATION 0] { SPNEGO OID, [0] NegTokenInit }.
std::optional<NegTokenInit> parse_neg_token_init(std::string_view token);

enum class NegState : uint8_t { accept_completed = 0, accept_incomplete = 1, reject = 2, request_mic = 3 };

struct NegTokenResp {
    std::optional<NegState> state;
    std::optional<std::string> supported_mech;  // OID contents
    std::optional<std::string> response_token;
    std::optional<std::string> mech_list_mic;
};
// [1] NegTokenResp, as a client sends it after the first token.
std::optional<NegTokenResp> parse_neg_token_resp(std::string_view token);
std::string build_neg_token_resp(const NegTokenResp& resp);

// "1.3.6.1.4.1.311.2.2.10", for the log; "?" for malformed contents.
std::string oid_text(std::string_view contents);

}  // namespace mailfw::sasl_gssapi
