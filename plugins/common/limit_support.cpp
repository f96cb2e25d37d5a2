#include "limit_support.hpp"

#include <stdexcept>

namespace mailfw::limits {

std::string duration_text(uint64_t ms) {
    struct Unit {
        uint64_t ms;
        const char* suffix;
    };
    static constexpr Unit kUnits[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
    for (const auto& u : kUnits)
        if (ms >= u.ms && ms % u.ms == 0) return std::to_string(ms / u.ms) + u.suffix;
    return std::to_string(ms) + "ms";
}

std::string auth_user(const Host& host, mailfw_session* session) {
    return std::string(view(host.session_info(session).auth_user));
}

void log_hit(const Host& host, mailfw_session* session, std::string_view event, uint32_t code,
             std::string_view enhanced, std::string_view text) {
    const std::string user = auth_user(host, session);
    std::string line(event);
    line += ": " + std::to_string(code) + " " + std::string(enhanced) + " " + std::string(text);
    line += user.empty() ? "; not authenticated" : "; user " + printable(user, 100);
    host.log(MAILFW_LOG_INFO, line, session);
}

std::vector<std::string> split_words(std::string_view value) {
    std::vector<std::string> out;
    size_t pos = 0;
    while ((pos = value.find_first_not_of(" \t,", pos)) != std::string_view::npos) {
        const size_t end = value.find_first_of(" \t,", pos);
        out.emplace_back(value.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
        pos = end;
    }
    return out;
}

std::vector<std::string> words(const Host& host, const char* key) {
    std::vector<std::string> out;
    const size_t n = host.config_count(key);
    for (size_t i = 0; i < n; ++i)
        for (auto& w : split_words(host.config_string(key, i).value_or(""))) out.push_back(std::move(w));
    return out;
}

IpRange range_or_throw(std::string_view text, const char* key, std::string_view plugin) {
    auto r = parse_ip_range(text);
    if (!r)
        throw std::runtime_error("bad value '" + printable(text, 60) + "' for '" + key + "' in [" +
                                 std::string(plugin) +
                                 "]: expected an address or a network like 192.0.2.0/24 or 2001:db8::/32 (no host "
                                 "bits after the prefix)");
    return *r;
}

std::vector<IpRange> ranges(const Host& host, const char* key, std::string_view plugin) {
    std::vector<IpRange> out;
    for (const auto& w : words(host, key)) out.push_back(range_or_throw(w, key, plugin));
    return out;
}

}  // namespace mailfw::limits
