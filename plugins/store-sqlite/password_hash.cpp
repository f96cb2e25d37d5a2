#include "password_hash.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <climits>
#include <stdexcept>

namespace mailfw::store_sqlite {

namespace {

constexpr std::string_view prefix = "$pbkdf2-sha256$";
constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// A derived key that wipes itself however the scope is left.
struct DerivedKey {
    std::array<unsigned char, key_bytes> bytes{};
    ~DerivedKey() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

bool derive(std::string_view password, std::string_view salt, uint32_t iterations,
            DerivedKey& key) noexcept {
    if (password.size() > INT_MAX) return false;
    return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                             reinterpret_cast<const unsigned char*>(salt.data()),
                             static_cast<int>(salt.size()), static_cast<int>(iterations),
                             EVP_sha256(), static_cast<int>(key.bytes.size()),
                             key.bytes.data()) == 1;
}

int sextet(char c) noexcept {
    const size_t i = alphabet.find(c);
    return i == std::string_view::npos ? -1 : static_cast<int>(i);
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const uint32_t v = static_cast<unsigned char>(bytes[i]) << 16 |
                           static_cast<unsigned char>(bytes[i + 1]) << 8 |
                           static_cast<unsigned char>(bytes[i + 2]);
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += alphabet[v >> 6 & 63];
        out += alphabet[v & 63];
    }
    if (const size_t rest = bytes.size() - i; rest > 0) {
        uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
        if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += rest == 2 ? alphabet[v >> 6 & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        const size_t pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
        if (pad == 1 && text[i + 2] == '=') return std::nullopt;  // "x=y=" style
        uint32_t v = 0;
        for (size_t j = 0; j < 4 - pad; ++j) {
            const int s = sextet(text[i + j]);
            if (s < 0) return std::nullopt;
            v = v << 6 | static_cast<uint32_t>(s);
        }
        v <<= 6 * pad;
        // Bits that padding drops must be zero: one text, one encoding.
        if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff))) return std::nullopt;
        out += static_cast<char>(v >> 16 & 0xff);
        if (pad < 2) out += static_cast<char>(v >> 8 & 0xff);
        if (pad < 1) out += static_cast<char>(v & 0xff);
    }
    return out;
}

std::optional<HashParts> parse_hash(std::string_view encoded) {
    if (!encoded.starts_with(prefix)) return std::nullopt;
    std::string_view rest = encoded.substr(prefix.size());

    const size_t d1 = rest.find('$');
    if (d1 == std::string_view::npos) return std::nullopt;
    HashParts parts;
    const std::string_view count = rest.substr(0, d1);
    const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), parts.iterations);
    if (ec != std::errc() || end != count.data() + count.size() || count.starts_with('0') ||
        parts.iterations < min_iterations || parts.iterations > max_iterations)
        return std::nullopt;
    rest.remove_prefix(d1 + 1);

    const size_t d2 = rest.find('$');
    if (d2 == std::string_view::npos) return std::nullopt;
    auto salt = base64_decode(rest.substr(0, d2));
    auto key = base64_decode(rest.substr(d2 + 1));
    if (!salt || !key || salt->empty() || salt->size() > 64 || key->size() != key_bytes)
        return std::nullopt;
    parts.salt = std::move(*salt);
    parts.key = std::move(*key);
    return parts;
}

std::string hash_password(std::string_view password, uint32_t iterations) {
    if (iterations < min_iterations || iterations > max_iterations)
        throw std::invalid_argument("PBKDF2 iteration count out of range");
    std::array<unsigned char, salt_bytes> salt{};
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
        throw std::runtime_error("OpenSSL RAND_bytes failed");
    const std::string_view salt_view(reinterpret_cast<const char*>(salt.data()), salt.size());
    DerivedKey key;
    if (!derive(password, salt_view, iterations, key))
        throw std::runtime_error("OpenSSL PKCS5_PBKDF2_HMAC failed");
    return std::string(prefix) + std::to_string(iterations) + '$' + base64_encode(salt_view) + '$' +
           base64_encode({reinterpret_cast<const char*>(key.bytes.data()), key.bytes.size()});
}

HashCheck check_password(std::string_view password, std::string_view encoded) {
    const auto parts = parse_hash(encoded);
    if (!parts) return HashCheck::Malformed;
    DerivedKey key;
    if (!derive(password, parts->salt, parts->iterations, key)) return HashCheck::Malformed;
    return CRYPTO_memcmp(key.bytes.data(), parts->key.data(), key_bytes) == 0 ? HashCheck::Match
                                                                               : HashCheck::Mismatch;
}

void dummy_check(std::string_view password, uint32_t iterations) noexcept {
    // A fixed salt is fine: the result is thrown away, only the time counts.
    static constexpr char salt[salt_bytes] = {};
    DerivedKey key;
    (void)derive(password, std::string_view(salt, sizeof salt), iterations, key);
}

}  // namespace mailfw::store_sqlite
