// CIDR ranges ("192.0.2.0/24", "2001:db8::/32", or a single address) and
// membership tests, for a listener's remote_ip_ranges and the access and
// connection limit plugins (built into the small library mailfw_parsers,
// so plugins link it without the core). Pure and total: a bad text gives
// nullopt, never an exception.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
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
// The prefix length of the most specific range holding `address`, if any.
std::optional<unsigned> longest_match(const std::vector<IpRange>& ranges, std::string_view address);
// The network `address` belongs to when sources are grouped: IPv4 as the
// address itself, IPv6 by its first `v6_prefix` bits ("2001:db8:1:2::/64").
// nullopt for a text that is not an address.
std::optional<std::string> source_network(std::string_view address, unsigned v6_prefix);

}  // namespace mailfw
