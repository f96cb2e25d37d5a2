// Checks an NTLM response against the NT hash the store keeps (MS-NLMP
// 3.3.1, 3.3.2): NTLMv2 always; NTLMv1 (with or without extended session
// security) only when allowed, since it is weak (swaks' Authen::NTLM sends
// nothing else). Constant-time comparisons; no secret leaves but the
// NTLMv2 SessionBaseKey, which session_security.hpp turns into signing keys.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <openssl/evp.h>

namespace mailfw::ntlm {

using NtHash = std::array<uint8_t, 16>;
using Challenge = std::array<uint8_t, 8>;
using Key16 = std::array<uint8_t, 16>;

enum class Verdict { match, mismatch, v1_refused, malformed, unavailable };

// `user16_upper` and `domain16`: the names as the client sent them, in
// UTF-16LE (the user upper-cased), as NTOWFv2 takes them.
// `v1_crypto`: DES for NTLMv1 (LegacyCrypto::des_ecb); nullptr refuses v1.
// `session_base_key`: on an NTLMv2 match, HMAC-MD5(NTOWFv2, NTProofStr).
Verdict verify_response(const NtHash& hash, const Challenge& server_challenge, std::string_view user16_upper,
                        std::string_view domain16, std::string_view lm_response, std::string_view nt_response,
                        uint32_t flags, const EVP_CIPHER* v1_crypto, Key16* session_base_key = nullptr);

// The client's NTLMv2 response (MS-NLMP 3.3.2) for `target_info` and a
// client challenge: NTProofStr + blob. `filetime`: the server's
// MsvAvTimestamp, else now.
std::string ntlmv2_response(const NtHash& hash, const Challenge& server_challenge, std::string_view user16_upper,
                            std::string_view domain16, std::string_view target_info, const Challenge& client_challenge,
                            uint64_t filetime);

// A stored NT hash (32 hex digits, either case) as bytes; false for anything else.
bool nt_hash_from_hex(std::string_view hex, NtHash& out);

// Now as a FILETIME (100 ns ticks since 1601-01-01): MsvAvTimestamp.
uint64_t filetime_now();

// Which version a response is, for the log.
const char* response_version(std::string_view nt_response);

}  // namespace mailfw::ntlm
