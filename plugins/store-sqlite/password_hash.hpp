// Salted, slow password hashes: PBKDF2-HMAC-SHA256 (OpenSSL), stored as
//   $pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>
// Each hash carries its own iteration count, so raising the configured count
// affects only passwords set afterwards.
#ifndef MAILFW_STORE_SQLITE_PASSWORD_HASH_HPP
#define MAILFW_STORE_SQLITE_PASSWORD_HASH_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailfw::store_sqlite {

inline constexpr size_t salt_bytes = 16;
inline constexpr size_t key_bytes = 32;
// Bounds for the configured count and for counts read back from the file
// (a corrupt row must not pin a CPU for minutes).
inline constexpr uint32_t min_iterations = 1;
inline constexpr uint32_t max_iterations = 100'000'000;

// A fresh random salt and the derived key, encoded as above. Throws
// std::runtime_error when OpenSSL fails (no entropy, out of memory).
std::string hash_password(std::string_view password, uint32_t iterations);

enum class HashCheck { Match, Mismatch, Malformed };

// Derives with the stored salt and count and compares in constant time.
HashCheck check_password(std::string_view password, std::string_view encoded);

// The same work as check_password against a hash with `iterations`, for
// users that do not exist: answering NOT_FOUND takes as long as DENIED.
void dummy_check(std::string_view password, uint32_t iterations) noexcept;

// The parts of an encoded hash (exposed for tests and diagnostics).
struct HashParts {
    uint32_t iterations = 0;
    std::string salt;
    std::string key;
};
std::optional<HashParts> parse_hash(std::string_view encoded);

// RFC 4648 base64 with padding; decode is strict (nullopt on any deviation).
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mailfw::store_sqlite

#endif
