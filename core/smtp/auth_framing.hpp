// The parts of an AUTH exchange (RFC 4954 §4, MS-OXSMTP 2.2.1) that do not
// depend on I/O: how a mechanism's challenge becomes a 334 line, and what a
// client's response line means. The session drives the exchange.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace mailfw::smtp {

// The decoded initial response of "AUTH MECH [ir]": nullopt = none given,
// "" for "=", else the decoded bytes. `ok` false: undecodable base64.
struct InitialResponse {
    bool ok = true;
    std::optional<std::string> bytes;
};
InitialResponse decode_initial_response(std::optional<std::string_view> ir);

// The text after "334 " for a challenge. MS-OXSMTP 3.2.5.1: when the client
// sent no initial response and the mechanism's first challenge is empty, a
// relaxed server answers "334 <MECH> supported" with the mechanism name in
// upper case (the MS-OXSMTP 2.2.1 grammar is A-Z 0-9 - _). Otherwise the
// text is base64(challenge).
std::string challenge_line(std::string_view challenge, bool first_step, bool had_initial_response,
                           bool relaxed, std::string_view mechanism_upper);

// A client line inside the exchange.
struct AuthResponse {
    enum Kind { data, cancel, bad_base64 } kind = data;
    std::string bytes;  // decoded, for `data`
};
AuthResponse parse_auth_response(std::string_view line);

// Octets an AUTH line may have (command or response, CRLF excluded): large
// enough for Kerberos tickets with a PAC (MS-SSEAN tokens of many KiB).
inline constexpr size_t kDefaultAuthLineLimit = 12288;
// The line limit for a mechanism that declares its largest decoded response.
size_t auth_line_limit(size_t max_decoded_response);

}  // namespace mailfw::smtp
