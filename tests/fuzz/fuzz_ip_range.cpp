// Fuzz target for remote_ip_ranges values: parse_ip_range never reads out of
// bounds, and a range it accepts contains its own network address.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "net/ip_range.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = mailfw::parse_ip_range(text);
    if (!r) return 0;
    FUZZ_CHECK(r->prefix <= (r->v6 ? 128u : 32u));
    const std::string_view address = text.substr(0, text.find('/'));
    FUZZ_CHECK(mailfw::in_range(*r, address));
    return 0;
}
