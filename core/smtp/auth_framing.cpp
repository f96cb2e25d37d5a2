#include "smtp/auth_framing.hpp"

#include "util/base64.hpp"

namespace mailfw::smtp {

InitialResponse decode_initial_response(std::optional<std::string_view> ir) {
    InitialResponse r;
    if (!ir) return r;
    if (*ir == "=") {
        r.bytes = std::string();
        return r;
    }
    auto decoded = base64::decode(*ir);
    if (!decoded || decoded->empty()) {
        r.ok = false;  // "" must be sent as "=" (RFC 4954 §4)
        return r;
    }
    r.bytes = std::move(*decoded);
    return r;
}

std::string challenge_line(std::string_view challenge, bool first_step, bool had_initial_response, bool relaxed,
                           std::string_view mechanism_upper) {
    if (relaxed && first_step && !had_initial_response && challenge.empty())
        return std::string(mechanism_upper) + " supported";
    return base64::encode(challenge);
}

AuthResponse parse_auth_response(std::string_view line) {
    AuthResponse r;
    if (line == "*") {
        r.kind = AuthResponse::cancel;
        return r;
    }
    // An empty line is an empty response; some clients send "=" for it, as
    // in an initial response (RFC 4954 §4).
    if (line.empty() || line == "=") return r;
    auto decoded = base64::decode(line);
    if (!decoded) {
        r.kind = AuthResponse::bad_base64;
        return r;
    }
    r.bytes = std::move(*decoded);
    return r;
}

size_t auth_line_limit(size_t max_decoded_response) {
    if (max_decoded_response == 0) return kDefaultAuthLineLimit;
    size_t encoded = (max_decoded_response + 2) / 3 * 4;
    return encoded + 64 > kDefaultAuthLineLimit ? encoded + 64 : kDefaultAuthLineLimit;
}

}  // namespace mailfw::smtp
