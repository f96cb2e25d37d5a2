#include "nt_hash.hpp"

#include <openssl/evp.h>

#include <mailfw/plugin.hpp>

namespace mailfw::plugin_common {

std::optional<std::string> utf8_to_utf16le(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        uint32_t cp = 0;
        size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        if (n == 0 || i + n > s.size()) return std::nullopt;
        cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
        for (size_t k = 1; k < n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc >> 6) != 0x2) return std::nullopt;
            cp = (cp << 6) | (cc & 0x3f);
        }
        static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
        i += n;
        auto unit = [&](uint32_t u) {
            out.push_back(static_cast<char>(u & 0xff));
            out.push_back(static_cast<char>(u >> 8));
        };
        if (cp >= 0x10000) {
            cp -= 0x10000;
            unit(0xd800 + (cp >> 10));
            unit(0xdc00 + (cp & 0x3ff));
        } else {
            unit(cp);
        }
    }
    return out;
}


std::optional<std::string> nt_hash_hex(const LegacyCrypto& crypto, std::string_view utf8_password) {
    auto text = utf8_to_utf16le(utf8_password);
    const EVP_MD* md = crypto.md4();
    if (!text || !md) return std::nullopt;
    unsigned char digest[16];
    unsigned int len = 0;
    const bool ok = EVP_Digest(text->data(), text->size(), digest, &len, md, nullptr) == 1 && len == 16;
    mailfw::wipe(*text);
    if (!ok) return std::nullopt;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char b : digest) {
        hex.push_back(kHex[b >> 4]);
        hex.push_back(kHex[b & 0xf]);
    }
    mailfw::wipe(digest, sizeof digest);
    return hex;
}

}  // namespace mailfw::plugin_common
