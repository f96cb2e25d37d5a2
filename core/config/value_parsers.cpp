#include "config/value_parsers.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <limits>

namespace mailfw {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// Unsigned decimal digits only (no sign, no spaces); nullopt on overflow.
std::optional<uint64_t> parse_digits(std::string_view s) {
    if (s.empty()) return std::nullopt;
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// Splits "30s" / "30 s" into the number and its unit.
std::pair<std::string_view, std::string_view> split_number_unit(std::string_view s) {
    size_t i = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return {s.substr(0, i), trim(s.substr(i))};
}

std::optional<uint64_t> scaled(uint64_t n, uint64_t factor) {
    if (factor != 0 && n > std::numeric_limits<uint64_t>::max() / factor) return std::nullopt;
    return n * factor;
}

}  // namespace

std::optional<bool> parse_bool(std::string_view s) {
    s = trim(s);
    for (auto t : {"true", "yes", "on", "1"})
        if (iequals(s, t)) return true;
    for (auto f : {"false", "no", "off", "0"})
        if (iequals(s, f)) return false;
    return std::nullopt;
}

std::optional<int64_t> parse_int(std::string_view s) {
    s = trim(s);
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
        if (!s.empty() && s.front() == '-') return std::nullopt;
    }
    if (s.empty()) return std::nullopt;
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<uint64_t> parse_duration_ms(std::string_view s) {
    auto [num, unit] = split_number_unit(trim(s));
    auto n = parse_digits(num);
    if (!n) return std::nullopt;
    struct Unit {
        const char* name;
        uint64_t ms;
    };
    static constexpr Unit units[] = {{"ms", 1},      {"s", 1000},       {"", 1000},
                                     {"m", 60000},   {"h", 3600000},    {"d", 86400000}};
    for (const auto& u : units)
        if (iequals(unit, u.name)) return scaled(*n, u.ms);
    return std::nullopt;
}

std::optional<uint64_t> parse_size_bytes(std::string_view s) {
    auto [num, unit] = split_number_unit(trim(s));
    auto n = parse_digits(num);
    if (!n) return std::nullopt;
    struct Unit {
        const char* name;
        uint64_t bytes;
    };
    static constexpr Unit units[] = {
        {"", 1},
        {"b", 1},
        {"kib", 1024ull},
        {"mib", 1024ull * 1024},
        {"gib", 1024ull * 1024 * 1024},
        {"tib", 1024ull * 1024 * 1024 * 1024},
        {"kb", 1000ull},
        {"mb", 1000ull * 1000},
        {"gb", 1000ull * 1000 * 1000},
        {"tb", 1000ull * 1000 * 1000 * 1000},
    };
    for (const auto& u : units)
        if (iequals(unit, u.name)) return scaled(*n, u.bytes);
    return std::nullopt;
}

std::optional<Endpoint> parse_endpoint(std::string_view s) {
    s = trim(s);
    std::string address;
    std::string_view port_text;
    if (!s.empty() && s.front() == '[') {
        // "[v6]:port": the brackets keep the address's colons apart from the port's.
        auto close = s.find(']');
        if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return std::nullopt;
        address = std::string(s.substr(1, close - 1));
        port_text = s.substr(close + 2);
        in6_addr a6{};
        if (inet_pton(AF_INET6, address.c_str(), &a6) != 1) return std::nullopt;
    } else {
        auto colon = s.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        address = std::string(s.substr(0, colon));
        port_text = s.substr(colon + 1);
        if (address == "*") address = "0.0.0.0";
        in_addr a4{};
        if (inet_pton(AF_INET, address.c_str(), &a4) != 1) return std::nullopt;
    }
    auto port = parse_digits(port_text);
    if (!port || *port == 0 || *port > 65535) return std::nullopt;
    return Endpoint{address, static_cast<uint16_t>(*port)};
}

}  // namespace mailfw
