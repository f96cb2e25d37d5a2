// The SASL security-layer step after the GSS-API context is established
// (RFC 4752 §3.1, RFC 2222 §7.2.1), as pure functions over the unwrapped
// octets: the server offers "no security layer" only, with a maximum
// buffer size of 0; the client answers with the layer it chose, its
// buffer size and an optional authorization identity. Fuzzed.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailfw::sasl_gssapi {

inline constexpr unsigned char kNoSecurityLayer = 0x01;

// 01 00 00 00: no layer, no buffer.
std::string layer_offer();

struct LayerAnswer {
    unsigned char layer = 0;
    uint32_t max_size = 0;  // echoed by gsasl; meaningless without a layer
    std::string authzid;    // may be empty
};

// nullopt: shorter than 4 octets, a layer we did not offer (curl echoes the
// whole offer, which is the one bit), or an authzid with a NUL inside it. A
// single trailing NUL (curl appends one) is dropped.
std::optional<LayerAnswer> parse_layer_answer(std::string_view unwrapped);

}  // namespace mailfw::sasl_gssapi
