// Fuzz target for CIDR values (remote_ip_ranges, access-ip, limit-connections'
// exempt) and client addresses: parse_ip_range never reads out of bounds, a
// range it accepts contains its own network address and is its own longest
// match, and source_network groups an address into a network that holds it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "net/ip_range.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::string_view address = text.substr(0, text.find('/'));
    // The client-address side: any text, with a prefix taken from the first byte.
    const unsigned prefix = size ? data[0] % 140 : 64;
    if (auto net = mailfw::source_network(address, prefix)) {
        const size_t slash = net->find('/');
        auto grouped = mailfw::parse_ip_range(*net);
        FUZZ_CHECK(grouped.has_value());  // what it prints parses back
        FUZZ_CHECK(mailfw::in_range(*grouped, address));
        FUZZ_CHECK(slash == std::string::npos || grouped->v6);
    }
    auto r = mailfw::parse_ip_range(text);
    if (!r) return 0;
    FUZZ_CHECK(r->prefix <= (r->v6 ? 128u : 32u));
    FUZZ_CHECK(mailfw::in_range(*r, address));
    const std::vector<mailfw::IpRange> ranges{*r};
    auto best = mailfw::longest_match(ranges, address);
    FUZZ_CHECK(best && *best == r->prefix);
    return 0;
}
