// What the limit and access plugins share: how a hit is worded and logged,
// the list values they read from their sections, and an answer that comes
// back from the host's counter service (asynchronous, so a shared backend
// can replace the local one without touching the plugins).
#pragma once
#include <mailfw/plugin.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/ip_range.hpp"

namespace mailfw::limits {

// A duration as an operator writes it: 300000 -> "5m", 1500 -> "1500ms".
std::string duration_text(uint64_t ms);

// One log line per hit, naming the MS-OXSMTP event, the reply and who got
// it: "TooManyRecipients: 452 4.5.3 Too many recipients (limit 200); user
// alice" (the host adds the connection id and the client's address).
void log_hit(const Host& host, mailfw_session* session, std::string_view event, uint32_t code,
             std::string_view enhanced, std::string_view text);

// The words of a value, split at spaces and commas.
std::vector<std::string> split_words(std::string_view value);
// The words of every value of a (repeatable) key.
std::vector<std::string> words(const Host& host, const char* key);

// CIDR ranges from a repeatable key ("10.0.0.0/8 192.0.2.7, 2001:db8::/32").
// Throws std::runtime_error with the one-line fix, which stops start-up.
std::vector<IpRange> ranges(const Host& host, const char* key, std::string_view plugin);
IpRange range_or_throw(std::string_view text, const char* key, std::string_view plugin);

// The authenticated user, or "" (for logs and rate keys).
std::string auth_user(const Host& host, mailfw_session* session);

}  // namespace mailfw::limits
