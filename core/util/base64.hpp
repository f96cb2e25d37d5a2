// Base64 (RFC 4648 §4) for the SMTP AUTH exchange (RFC 4954 §4), where both
// directions are strict base64 on one line.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mailfw::base64 {

// Standard alphabet with '=' padding.
std::string encode(std::string_view bytes);

// Strict RFC 4648 §4: A-Z a-z 0-9 + /, '=' padding only at the end, length a
// multiple of 4, no whitespace, non-zero pad bits rejected (§3.5). nullopt on
// anything else. Empty input -> "".
std::optional<std::string> decode(std::string_view text);

// True exactly when decode(text) would succeed; allocates nothing.
bool is_valid(std::string_view text);

// Number of bytes decode(text) yields for a valid text.
std::size_t decoded_size(std::string_view text);

}  // namespace mailfw::base64
