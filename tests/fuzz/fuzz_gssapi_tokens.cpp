// Fuzz target for what sasl-gssapi reads of client bytes itself (the rest
// goes to MIT's GSS-API): the initial-token framing that tells SPNEGO from
// raw Kerberos, and the unwrapped security-layer answer with its authzid.
// Neither reads out of bounds; a kind is only claimed for a well-framed
// token; an accepted answer chose "no security layer" and has no NUL.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "sasl-gssapi/security_layer.hpp"
#include "sasl-gssapi/token_kind.hpp"

using namespace mailfw::sasl_gssapi;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const TokenKind kind = initial_token_kind(bytes);
    if (kind != TokenKind::other) FUZZ_CHECK(size >= 8 && data[0] == 0x60);
    FUZZ_CHECK(token_kind_name(kind) != nullptr);
    if (auto a = parse_layer_answer(bytes)) {
        FUZZ_CHECK(a->layer == kNoSecurityLayer);
        FUZZ_CHECK(a->authzid.find('\0') == std::string::npos);
        FUZZ_CHECK(a->authzid.size() + 4 <= size);
    }
    return 0;
}
