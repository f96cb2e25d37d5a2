// CIDR ranges ("192.0.2.0/24", "2001:db8::/32", or a single address) and
// membership tests, for a listener's remote_ip_ranges. Pure and total: a
// bad text gives nullopt, never an exception.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace mailfw {

struct IpRange {
    bool v6 = false;
    std::array<uint8_t, 16> network{};  // the first 4 bytes for IPv4
    unsigned prefix = 0;                // bits: 0-32 (IPv4) or 0-128 (IPv6)
};

// "a.b.c.d", "a.b.c.d/n", "v6", "v6/n". Host bits set below the prefix are
// refused (a typo more often than an intent), as Postfix's cidr tables do.
std::optional<IpRange> parse_ip_range(std::string_view text);

// `address` as the session reports it ("192.0.2.7", "2001:db8::1"); an
// IPv4-mapped IPv6 address matches IPv4 ranges.
bool in_range(const IpRange& range, std::string_view address);
bool in_any_range(const std::vector<IpRange>& ranges, std::string_view address);

}  // namespace mailfw
