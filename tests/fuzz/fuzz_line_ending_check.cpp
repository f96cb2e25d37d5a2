// Fuzz target for the bare CR / LF check on BDAT chunks. Input: [split][bytes].
// Checked: fed whole or in two pieces it agrees with a direct scan.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "smtp/line_ending_check.hpp"

using mailfw::smtp::LineEndingCheck;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
    const size_t split = all.empty() ? 0 : data[0] % (all.size() + 1);
    // Reference: every CR followed by LF, every LF preceded by CR.
    bool clean = true;
    for (size_t i = 0; i < all.size(); ++i) {
        if (all[i] == '\r' && (i + 1 >= all.size() || all[i + 1] != '\n')) clean = false;
        if (all[i] == '\n' && (i == 0 || all[i - 1] != '\r')) clean = false;
    }
    LineEndingCheck whole;
    whole.feed(all);
    LineEndingCheck pieces;
    pieces.feed(all.substr(0, split));
    pieces.feed(all.substr(split));
    const auto a = whole.finish(), b = pieces.finish();
    FUZZ_CHECK(a == b);
    FUZZ_CHECK((a == LineEndingCheck::Error::none) == clean);
    return 0;
}
