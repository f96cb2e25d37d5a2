// The core's hard caps: protocol-safety backstops that hold whatever the
// plugins are configured to do. Policy limits -- the MS-OXSMTP events with
// their keys and replies -- belong to the limit plugins (limit-size,
// limit-recipients, limit-timers, ...), which must stay within these; the
// plugins read them through mailfw_server_info. They are not config keys on
// purpose: an operator finds exactly one key per limit (configuration.md).
#pragma once
#include <cstdint>

namespace mailfw::backstop {

// RFC 5321 §4.5.3.1.8: at least 100 recipients must be accepted.
inline constexpr uint32_t kMaxRecipients = 1000;
// The largest message stored at all; also the EHLO SIZE when no handler
// advertises one (limit-size does).
inline constexpr uint64_t kMaxMessageSize = 1024ull * 1024 * 1024;
// No progress from the client for this long ends the session (421 4.4.2);
// RFC 5321 §4.5.3.2.7 asks servers to wait at least 5 minutes for a command.
inline constexpr uint64_t kMaxIdleMs = 60ull * 60 * 1000;

}  // namespace mailfw::backstop
