// Header fields a plugin adds to a message (host->header_prepend): what
// may go on top of a message without breaking it or smuggling a second one.
// Pure, for fuzzing and unit tests.
#pragma once
#include <string_view>

namespace mailfw::smtp {

// "Name: value", RFC 5322 §2.2 / §3.6.8: a name of printable ASCII without
// ':' or spaces, then ':'; the value may be folded (CRLF followed by a space
// or tab, never a line of white space only); no NUL, no bare CR or LF, no
// final CRLF; each line at most 998 octets (RFC 5322 §2.1.1). Octets of
// 0x80 and up are allowed in the value (RFC 6532).
bool valid_header_field(std::string_view field) noexcept;

}  // namespace mailfw::smtp
