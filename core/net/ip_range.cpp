#include "net/ip_range.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <string>

namespace mailfw {
namespace {

// The 4 or 16 bytes of an address text, or nullopt.
std::optional<IpRange> parse_address(std::string_view text) {
    if (text.empty() || text.size() > 45) return std::nullopt;
    const std::string s(text);
    IpRange r;
    if (s.find(':') == std::string::npos) {
        in_addr a{};
        if (inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
        const auto* b = reinterpret_cast<const uint8_t*>(&a);
        std::copy(b, b + 4, r.network.begin());
        r.prefix = 32;
        return r;
    }
    in6_addr a{};
    if (inet_pton(AF_INET6, s.c_str(), &a) != 1) return std::nullopt;
    std::copy(a.s6_addr, a.s6_addr + 16, r.network.begin());
    r.v6 = true;
    r.prefix = 128;
    // ::ffff:a.b.c.d is an IPv4 client seen through an IPv6 socket.
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMapped, kMapped + 12, r.network.begin())) {
        std::copy(r.network.begin() + 12, r.network.end(), r.network.begin());
        std::fill(r.network.begin() + 4, r.network.end(), 0);
        r.v6 = false;
        r.prefix = 32;
    }
    return r;
}

bool prefix_equal(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, unsigned bits) {
    for (unsigned i = 0; bits > 0; ++i) {
        const unsigned take = bits >= 8 ? 8 : bits;
        const uint8_t mask = static_cast<uint8_t>(0xff00u >> take);
        if ((a[i] & mask) != (b[i] & mask)) return false;
        bits -= take;
    }
    return true;
}

}  // namespace

std::optional<IpRange> parse_ip_range(std::string_view text) {
    const size_t slash = text.find('/');
    auto r = parse_address(text.substr(0, slash));
    if (!r) return std::nullopt;
    // A mapped address with a prefix would be ambiguous: write it as IPv4.
    if (slash == std::string_view::npos) return r;
    if (!r->v6 && text.substr(0, slash).find(':') != std::string_view::npos) return std::nullopt;
    const std::string_view bits = text.substr(slash + 1);
    unsigned n = 0;
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
    if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size()) return std::nullopt;
    if (n > (r->v6 ? 128u : 32u)) return std::nullopt;
    IpRange masked = *r;
    masked.prefix = n;
    // Host bits must be zero: "10.0.0.1/8" is refused.
    for (unsigned bit = n; bit < (r->v6 ? 128u : 32u); ++bit)
        if (r->network[bit / 8] & (0x80u >> (bit % 8))) return std::nullopt;
    return masked;
}

bool in_range(const IpRange& range, std::string_view address) {
    auto a = parse_address(address);
    if (!a || a->v6 != range.v6) return false;
    return prefix_equal(a->network, range.network, range.prefix);
}

bool in_any_range(const std::vector<IpRange>& ranges, std::string_view address) {
    for (const auto& r : ranges)
        if (in_range(r, address)) return true;
    return false;
}

std::optional<unsigned> longest_match(const std::vector<IpRange>& ranges, std::string_view address) {
    std::optional<unsigned> best;
    for (const auto& r : ranges)
        if (in_range(r, address) && (!best || r.prefix > *best)) best = r.prefix;
    return best;
}

std::optional<std::string> source_network(std::string_view address, unsigned v6_prefix) {
    auto a = parse_address(address);
    if (!a) return std::nullopt;
    if (!a->v6) {
        char text[INET_ADDRSTRLEN];
        if (!inet_ntop(AF_INET, a->network.data(), text, sizeof text)) return std::nullopt;
        return std::string(text);
    }
    const unsigned bits = v6_prefix > 128 ? 128 : v6_prefix;
    for (unsigned bit = bits; bit < 128; ++bit) a->network[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    char text[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, a->network.data(), text, sizeof text)) return std::nullopt;
    return std::string(text) + "/" + std::to_string(bits);
}

}  // namespace mailfw
