// The NT hash of a password (MS-NLMP 3.3.1, NTOWFv1: MD4 over its UTF-16LE
// form): what store-sqlite keeps for sasl-ntlm when ntlm_hashes is on (a
// password equivalent for NTLM, hence opt-in), and what sasl-ntlm's client
// side derives from the password it is given.
#ifndef MAILFW_PLUGIN_COMMON_NT_HASH_HPP
#define MAILFW_PLUGIN_COMMON_NT_HASH_HPP

#include <optional>
#include <string>
#include <string_view>

#include "legacy_crypto.hpp"

namespace mailfw::plugin_common {

// 32 lower-case hex digits; nullopt for a password that is not UTF-8 or
// when `crypto` has no MD4 (the legacy provider is missing).
std::optional<std::string> nt_hash_hex(const LegacyCrypto& crypto, std::string_view utf8_password);

// UTF-8 to UTF-16LE (as NTLM sends names); nullopt on malformed UTF-8.
std::optional<std::string> utf8_to_utf16le(std::string_view utf8);

// The user property the stores keep it under (and sasl-ntlm reads), as hex.
inline constexpr const char* kNtHashProperty = "ntlm-hash";

}  // namespace mailfw::plugin_common

#endif
