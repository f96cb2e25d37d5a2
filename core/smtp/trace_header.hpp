// The Received: trace header this hop adds (RFC 5321 §4.4, RFC 3848 for the
// "with" keywords), passed to delivery plugins to prepend.
#pragma once
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace mailfw::smtp {

struct TraceInfo {
    std::string helo;             // as the client gave it
    std::string client_address;   // "127.0.0.1" or "::1"
    std::string server_hostname;
    std::string queue_id;
    bool esmtp = true;            // EHLO (vs HELO)
    bool tls = false;
    std::string auth_user;        // empty: not authenticated
    std::vector<std::string> recipients;  // "for <r>" only when exactly one
    std::chrono::system_clock::time_point when;
};

// "SMTP", "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA".
std::string with_protocol(bool esmtp, bool tls, bool authenticated);
// RFC 5322 §3.3 date-time in UTC: "Sun, 22 Nov 2026 13:41:10 +0000".
std::string rfc5322_date(std::chrono::system_clock::time_point t);
// The folded header, ending in CRLF.
std::string received_header(const TraceInfo& info);

}  // namespace mailfw::smtp
