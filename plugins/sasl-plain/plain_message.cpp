#include "plain_message.hpp"

namespace mailfw::sasl_plain {

std::optional<PlainMessage> parse_plain_message(std::string_view message) noexcept {
    const size_t first = message.find('\0');
    if (first == std::string_view::npos) return std::nullopt;
    const size_t second = message.find('\0', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    if (message.find('\0', second + 1) != std::string_view::npos) return std::nullopt;

    PlainMessage m{message.substr(0, first), message.substr(first + 1, second - first - 1),
                   message.substr(second + 1)};
    if (m.authcid.empty() || m.passwd.empty()) return std::nullopt;
    if (m.authzid.size() > max_field || m.authcid.size() > max_field || m.passwd.size() > max_field)
        return std::nullopt;
    return m;
}

}  // namespace mailfw::sasl_plain
