#include "smtp/header_field.hpp"

namespace mailfw::smtp {

namespace {
constexpr size_t kMaxLine = 998;
bool name_char(unsigned char c) { return c > 0x20 && c < 0x7f && c != ':'; }
}  // namespace

bool valid_header_field(std::string_view f) noexcept {
    size_t colon = 0;
    while (colon < f.size() && name_char(static_cast<unsigned char>(f[colon]))) ++colon;
    if (colon == 0 || colon >= f.size() || f[colon] != ':') return false;
    size_t line = 0;       // octets in the current line
    bool content = false;  // the current continuation line has more than white space
    bool continuation = false;
    for (size_t i = 0; i < f.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(f[i]);
        if (c == '\r') {
            // Folding: CRLF then WSP, never at the end and never after an empty line.
            if (i + 2 >= f.size() || f[i + 1] != '\n' || (f[i + 2] != ' ' && f[i + 2] != '\t')) return false;
            if (continuation && !content) return false;
            ++i;
            line = 0;
            content = false;
            continuation = true;
            continue;
        }
        if (c == '\n' || c == 0) return false;
        if (c < 0x20 && c != '\t') return false;
        if (c == 0x7f) return false;
        if (c != ' ' && c != '\t') content = true;
        if (++line > kMaxLine) return false;
    }
    return !continuation || content;
}

}  // namespace mailfw::smtp
