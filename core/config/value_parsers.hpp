// Parsers for typed config values. Each returns std::nullopt on bad input;
// callers turn that into a ConfigError naming the key and the expected form.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailfw {

std::optional<bool> parse_bool(std::string_view);            // true/false yes/no on/off 1/0
std::optional<int64_t> parse_int(std::string_view);           // decimal, optional sign
std::optional<uint64_t> parse_duration_ms(std::string_view);  // 250ms 30s 5m 1h 2d; bare number = seconds
std::optional<uint64_t> parse_size_bytes(std::string_view);   // 512 64KiB 36MiB 1GiB 10kB 1MB (KiB=1024, kB=1000)

struct Endpoint {
    std::string address;  // "127.0.0.1", "::1", "0.0.0.0"
    uint16_t port = 0;
};
// "127.0.0.1:2525", "[::1]:2525", "*:25" (all IPv4). nullopt when malformed.
std::optional<Endpoint> parse_endpoint(std::string_view);

}  // namespace mailfw
