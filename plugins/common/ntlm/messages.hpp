// The three NTLM messages (MS-NLMP 2.2.1) as pure functions over bytes:
// NEGOTIATE and AUTHENTICATE parsed from what a client sends, CHALLENGE
// built. Every field a client controls is an (offset, length) into its own
// message and is checked against the message's size before it is read --
// NTLM parsers are a known CVE source (Exim CVE-2023-42114/42116). Fuzzed.
//
// Read by offsets only, never by assumed layout: the 32-byte NEGOTIATE of
// curl and swaks (no Version field) and an AUTHENTICATE that sets the
// VERSION flag without carrying the field both parse -- gss-ntlmssp 1.2.0
// refuses the first and misreads the second.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailfw::ntlm {

namespace flag {
inline constexpr uint32_t unicode = 0x00000001;
inline constexpr uint32_t oem = 0x00000002;
inline constexpr uint32_t request_target = 0x00000004;
inline constexpr uint32_t sign = 0x00000010;
inline constexpr uint32_t seal = 0x00000020;
inline constexpr uint32_t ntlm = 0x00000200;
inline constexpr uint32_t always_sign = 0x00008000;
inline constexpr uint32_t target_type_server = 0x00020000;
inline constexpr uint32_t extended_session_security = 0x00080000;
inline constexpr uint32_t target_info = 0x00800000;
inline constexpr uint32_t version = 0x02000000;
inline constexpr uint32_t n128 = 0x20000000;
inline constexpr uint32_t key_exchange = 0x40000000;
inline constexpr uint32_t n56 = 0x80000000;
}  // namespace flag

struct Negotiate {
    uint32_t flags = 0;
};
std::optional<Negotiate> parse_negotiate(std::string_view message);

struct ChallengeFields {
    uint32_t client_flags = 0;                  // from the NEGOTIATE
    std::array<uint8_t, 8> server_challenge{};  // random, one per exchange
    std::string netbios_domain;                 // "EXAMPLE" (ASCII)
    std::string netbios_computer;               // "MX"
    std::string dns_domain;                     // "example.org"
    std::string dns_computer;                   // "mx.example.org"
    uint64_t filetime = 0;                      // now, in 100 ns since 1601 (MsvAvTimestamp)
};
// The CHALLENGE message; `flags_out` gets the flags it carries.
std::string build_challenge(const ChallengeFields& f, uint32_t& flags_out);

struct Authenticate {
    uint32_t flags = 0;
    std::string lm_response, nt_response;  // as sent
    std::string domain, user, workstation; // as sent: UTF-16LE with the UNICODE flag, else OEM bytes
    std::string encrypted_session_key;     // EncryptedRandomSessionKey (with KEY_EXCH), as sent
    bool mic_room = false;                 // octets 72..87 (the MIC) lie before every payload field
    bool unicode() const { return flags & flag::unicode; }
};
std::optional<Authenticate> parse_authenticate(std::string_view message);

// Where an AUTHENTICATE carries its MIC (MS-NLMP 2.2.1.3), when mic_room.
inline constexpr size_t kMicOffset = 72, kMicSize = 16;

// MsvAvFlags (MS-NLMP 2.2.2.1) from the AV pairs inside an NTLMv2 response
// (after NTProofStr and the blob's 28-octet header); 0 when absent, nullopt
// when the pairs overrun the response.
std::optional<uint32_t> ntlmv2_av_flags(std::string_view nt_response);
inline constexpr uint32_t kAvFlagMic = 0x00000002;  // the AUTHENTICATE carries a MIC

// The client's side (sasl-ntlm's client mechanism).
// NEGOTIATE: Unicode, NTLM, extended session security, target info, 128-bit.
std::string build_negotiate();
struct Challenge2 {
    uint32_t flags = 0;
    std::array<uint8_t, 8> server_challenge{};
    std::string target_info;  // the AV pairs as sent (copied into the NTLMv2 blob)
    bool has_timestamp = false;
    uint64_t timestamp = 0;   // MsvAvTimestamp, when there
};
// nullopt for anything but a well-formed CHALLENGE (fields inside the message).
std::optional<Challenge2> parse_challenge(std::string_view message);
// AUTHENTICATE with the given responses and names (UTF-16LE), no session key.
std::string build_authenticate(uint32_t flags, std::string_view lm, std::string_view nt, std::string_view domain16,
                               std::string_view user16, std::string_view workstation16);

// Text of a name field as UTF-8 (UTF-16LE decoded, OEM taken as Latin-1);
// nullopt for malformed UTF-16 (a lone surrogate, an odd length).
std::optional<std::string> field_text(std::string_view raw, bool unicode);
// A name field as UTF-16LE, for the NTLMv2 key; `upper`: ASCII letters upper-cased.
std::string field_utf16(std::string_view raw, bool unicode, bool upper);

}  // namespace mailfw::ntlm
