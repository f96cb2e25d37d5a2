#include "util/base64.hpp"

#include <array>
#include <cstdint>

namespace mailfw::base64 {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kInvalid = 0xFF;

constexpr std::array<uint8_t, 256> make_decode_table() {
    std::array<uint8_t, 256> t{};
    for (auto& v : t) v = kInvalid;
    for (uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = i;
    return t;
}
constexpr auto kDecode = make_decode_table();

inline uint8_t value(char c) { return kDecode[static_cast<unsigned char>(c)]; }

// Number of '=' at the end of a text whose length is a positive multiple of 4.
inline std::size_t padding(std::string_view text) {
    if (text.back() != '=') return 0;
    return text[text.size() - 2] == '=' ? 2 : 1;
}

}  // namespace

std::string encode(std::string_view bytes) {
    std::string out;
    out.resize((bytes.size() + 2) / 3 * 4);
    const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t i = 0;
    std::size_t o = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
        out[o++] = kAlphabet[(v >> 18) & 63];
        out[o++] = kAlphabet[(v >> 12) & 63];
        out[o++] = kAlphabet[(v >> 6) & 63];
        out[o++] = kAlphabet[v & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        uint32_t v = uint32_t{in[i]} << 16;
        if (rest == 2) v |= uint32_t{in[i + 1]} << 8;
        out[o++] = kAlphabet[(v >> 18) & 63];
        out[o++] = kAlphabet[(v >> 12) & 63];
        out[o++] = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    return out;
}

bool is_valid(std::string_view text) {
    if (text.empty()) return true;
    if (text.size() % 4 != 0) return false;
    const std::size_t pad = padding(text);
    const std::size_t data = text.size() - pad;
    for (std::size_t i = 0; i < data; ++i)
        if (value(text[i]) == kInvalid) return false;
    // The bits of the last symbol that fall into the padding must be zero
    // (RFC 4648 §3.5), so every byte string has exactly one encoding.
    if (pad == 1) return (value(text[data - 1]) & 0x03) == 0;
    if (pad == 2) return (value(text[data - 1]) & 0x0F) == 0;
    return true;
}

std::size_t decoded_size(std::string_view text) {
    if (text.size() < 4) return 0;
    return text.size() / 4 * 3 - padding(text);
}

std::optional<std::string> decode(std::string_view text) {
    if (!is_valid(text)) return std::nullopt;
    std::string out;
    out.resize(decoded_size(text));
    std::size_t o = 0;
    for (std::size_t i = 0; i < text.size(); i += 4) {
        // '=' maps to 0 here; is_valid already checked where it may appear.
        const auto v4 = [&](std::size_t k) -> uint32_t {
            return text[i + k] == '=' ? 0 : value(text[i + k]);
        };
        const uint32_t v = (v4(0) << 18) | (v4(1) << 12) | (v4(2) << 6) | v4(3);
        out[o++] = static_cast<char>(v >> 16);
        if (o < out.size()) out[o++] = static_cast<char>((v >> 8) & 0xFF);
        if (o < out.size()) out[o++] = static_cast<char>(v & 0xFF);
    }
    return out;
}

}  // namespace mailfw::base64
