// UTF-8 well-formedness (RFC 3629 §4), used where SMTPUTF8 (RFC 6531) lets
// non-ASCII octets into envelope addresses and parameters.
#pragma once
#include <string_view>

namespace mailfw::utf8 {

// True when `text` is well-formed UTF-8: no overlong forms, no surrogates,
// nothing above U+10FFFF, no truncated sequence. ASCII-only text is valid.
bool is_valid(std::string_view text);

// True when `text` contains an octet >= 0x80.
bool has_non_ascii(std::string_view text);

}  // namespace mailfw::utf8
