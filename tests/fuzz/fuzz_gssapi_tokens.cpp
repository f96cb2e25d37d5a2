// Fuzz target for what sasl-gssapi reads of client bytes itself (the rest
// goes to MIT's GSS-API): the initial-token framing that tells SPNEGO from
// raw Kerberos, the unwrapped security-layer answer with its authzid, and
// SPNEGO's NegTokenInit / NegTokenResp (NTLM inside SPNEGO). None reads out
// of bounds; a kind is only claimed for a well-framed token; an accepted
// answer chose "no security layer" and has no NUL; a parsed NegTokenInit is
// SPNEGO with its MechTypeList inside it; a NegTokenResp survives being
// rebuilt and parsed again unchanged.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "sasl-gssapi/security_layer.hpp"
#include "sasl-gssapi/spnego_tokens.hpp"
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
    if (auto init = parse_neg_token_init(bytes)) {
        FUZZ_CHECK(kind == TokenKind::spnego);
        FUZZ_CHECK(!init->mech_types.empty() && bytes.find(init->mech_types_der) != std::string_view::npos);
        for (const auto& m : init->mech_types) FUZZ_CHECK(!oid_text(m).empty());
        if (init->mech_token) FUZZ_CHECK(init->mech_token->size() < size);
    }
    if (auto resp = parse_neg_token_resp(bytes)) {
        auto again = parse_neg_token_resp(build_neg_token_resp(*resp));
        FUZZ_CHECK(again && again->state == resp->state && again->supported_mech == resp->supported_mech &&
                   again->response_token == resp->response_token && again->mech_list_mic == resp->mech_list_mic);
    }
    return 0;
}
