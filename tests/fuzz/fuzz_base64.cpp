// Fuzz target for mailfw::base64: strict decoding never crashes, accepts
// exactly the canonical encodings, and encode/decode is the identity.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "util/base64.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    namespace b64 = mailfw::base64;

    // The input as base64 text.
    const auto decoded = b64::decode(in);
    FUZZ_CHECK(decoded.has_value() == b64::is_valid(in));
    if (decoded) {
        FUZZ_CHECK(decoded->size() == b64::decoded_size(in));
        // Strict (no whitespace, zero pad bits) means one text per value.
        FUZZ_CHECK(b64::encode(*decoded) == in);
    }

    // The input as bytes.
    const std::string text = b64::encode(in);
    FUZZ_CHECK(text.size() == (size + 2) / 3 * 4);
    FUZZ_CHECK(b64::is_valid(text));
    const auto back = b64::decode(text);
    FUZZ_CHECK(back.has_value() && *back == in);
    return 0;
}
