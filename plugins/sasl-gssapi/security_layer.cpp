#include "security_layer.hpp"

namespace mailfw::sasl_gssapi {

std::string layer_offer() { return std::string("\x01\x00\x00\x00", 4); }

std::optional<LayerAnswer> parse_layer_answer(std::string_view u) {
    if (u.size() < 4) return std::nullopt;
    LayerAnswer a;
    a.layer = static_cast<unsigned char>(u[0]);
    if (a.layer != kNoSecurityLayer) return std::nullopt;
    a.max_size = (static_cast<uint32_t>(static_cast<unsigned char>(u[1])) << 16) |
                 (static_cast<uint32_t>(static_cast<unsigned char>(u[2])) << 8) |
                 static_cast<uint32_t>(static_cast<unsigned char>(u[3]));
    std::string_view authzid = u.substr(4);
    if (!authzid.empty() && authzid.back() == '\0') authzid.remove_suffix(1);
    if (authzid.find('\0') != std::string_view::npos) return std::nullopt;
    a.authzid = std::string(authzid);
    return a;
}

}  // namespace mailfw::sasl_gssapi
