#include "smtp/reply.hpp"

#include <cctype>

namespace mailfw::smtp {

namespace {
bool well_formed_enhanced(std::string_view e) {
    // class "." subject "." detail, subject/detail 1-3 digits (RFC 3463 §2)
    if (e.size() < 5 || e[1] != '.') return false;
    size_t dot = e.find('.', 2);
    if (dot == std::string_view::npos) return false;
    auto digits = [](std::string_view s) {
        if (s.empty() || s.size() > 3) return false;
        for (char c : s)
            if (!std::isdigit(static_cast<unsigned char>(c))) return false;
        return true;
    };
    return digits(e.substr(2, dot - 2)) && digits(e.substr(dot + 1));
}
}  // namespace

std::string normalize_enhanced(int code, std::string_view enhanced) {
    char cls = static_cast<char>('0' + code / 100);
    if (cls != '2' && cls != '4' && cls != '5') return {};
    if (!enhanced.empty() && enhanced[0] == cls && well_formed_enhanced(enhanced)) return std::string(enhanced);
    return std::string(1, cls) + ".0.0";
}

std::string format(const Reply& r) {
    std::string out;
    std::string code = std::to_string(r.code);
    for (size_t i = 0; i < r.lines.size(); ++i) {
        out += code;
        out += (i + 1 == r.lines.size()) ? ' ' : '-';
        if (!r.enhanced.empty()) {
            out += r.enhanced;
            out += ' ';
        }
        out += r.lines[i];
        out += "\r\n";
    }
    if (r.lines.empty()) out = code + (r.enhanced.empty() ? "" : " " + r.enhanced) + "\r\n";
    return out;
}

}  // namespace mailfw::smtp
