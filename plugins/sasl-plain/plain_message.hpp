// Parsing of the RFC 4616 PLAIN message: [authzid] NUL authcid NUL passwd.
#ifndef MAILFW_SASL_PLAIN_PLAIN_MESSAGE_HPP
#define MAILFW_SASL_PLAIN_PLAIN_MESSAGE_HPP

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mailfw::sasl_plain {

// RFC 4616 section 2: servers must accept up to 255 octets per field; we
// accept no more, which bounds what reaches the stores.
inline constexpr size_t max_field = 255;

// Views into the caller's buffer: nothing (above all the password) is copied.
struct PlainMessage {
    std::string_view authzid;  // empty: act as authcid
    std::string_view authcid;
    std::string_view passwd;
};

// Exactly two NULs, authcid and passwd non-empty, every field <= 255 octets;
// anything else is std::nullopt.
std::optional<PlainMessage> parse_plain_message(std::string_view message) noexcept;

}  // namespace mailfw::sasl_plain

#endif
