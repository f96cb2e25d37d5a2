// The NT hash of a password (MS-NLMP 3.3.1, NTOWFv1: MD4 over its UTF-16LE
// form), kept for sasl-ntlm when [store-sqlite] ntlm_hashes is on. It is a
// password equivalent for NTLM, which is why keeping it is opt-in.
#ifndef MAILFW_STORE_SQLITE_NT_HASH_HPP
#define MAILFW_STORE_SQLITE_NT_HASH_HPP

#include <optional>
#include <string>
#include <string_view>

namespace mailfw::store_sqlite {

// 32 lower-case hex digits; nullopt for a password that is not UTF-8 or
// when MD4 cannot be had (OpenSSL's legacy provider, in a library context
// of its own so nothing else in the process sees it).
std::optional<std::string> nt_hash_hex(std::string_view utf8_password);

// The property name the hash is stored under (and sasl-ntlm reads).
inline constexpr const char* kNtHashProperty = "ntlm-hash";

}  // namespace mailfw::store_sqlite

#endif
