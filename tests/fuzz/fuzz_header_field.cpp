// Fuzz target for the header fields plugins prepend (header_prepend): a
// field accepted by valid_header_field can never end the header block or
// start a second field, whatever its bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "smtp/header_field.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view f(reinterpret_cast<const char*>(data), size);
    if (!mailfw::smtp::valid_header_field(f)) return 0;
    FUZZ_CHECK(!f.empty() && f.find(':') != std::string_view::npos && f.front() != ':');
    FUZZ_CHECK(f.find('\0') == std::string_view::npos);
    for (size_t i = 0; i < f.size(); ++i) {
        if (f[i] == '\n') FUZZ_CHECK(i > 0 && f[i - 1] == '\r');  // never a bare LF
        if (f[i] == '\r') {  // only as folding: CRLF then a space or tab
            FUZZ_CHECK(i + 2 < f.size() && f[i + 1] == '\n' && (f[i + 2] == ' ' || f[i + 2] == '\t'));
        }
    }
    FUZZ_CHECK(f.back() != '\n' && f.back() != '\r');
    return 0;
}
