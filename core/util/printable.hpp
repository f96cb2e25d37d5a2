// The one rule for putting client- or plugin-chosen text on a line (a log
// line, a reply text): control characters and DEL are replaced.
#pragma once
#include <string>
#include <string_view>

namespace mailfw {

inline bool is_control(char c) noexcept { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

// `text` with every control character or DEL replaced by `replacement`,
// cut at `max` octets.
inline std::string printable(std::string_view text, char replacement = '?',
                             size_t max = std::string_view::npos) {
    std::string out(text.substr(0, max));
    for (char& c : out)
        if (is_control(c)) c = replacement;
    return out;
}

}  // namespace mailfw
