#include "smtp/trace_header.hpp"

#include <ctime>

namespace mailfw::smtp {

namespace {
// Text placed inside a header comment: no line breaks, no unbalanced parens.
std::string comment_safe(std::string_view s) {
    std::string out;
    for (char c : s) {
        unsigned char u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f || c == '(' || c == ')' || c == '\\') ? '?' : c;
    }
    return out;
}
}  // namespace

std::string with_protocol(bool esmtp, bool tls, bool authenticated) {
    if (!esmtp) return "SMTP";
    std::string p = "ESMTP";
    if (tls) p += 'S';
    if (authenticated) p += 'A';
    return p;
}

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
    static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string received_header(const TraceInfo& i) {
    // From-domain: the HELO name plus the address we actually saw, in the
    // TCP-info comment (RFC 5321 §4.4: "address-literal" form for IPv6).
    bool v6 = i.client_address.find(':') != std::string::npos;
    std::string literal = v6 ? "[IPv6:" + i.client_address + "]" : "[" + i.client_address + "]";
    std::string h = "Received: from " + (i.helo.empty() ? literal : i.helo) + " (" + literal + ")\r\n";
    h += "\tby " + i.server_hostname + " (mailfw) with " + with_protocol(i.esmtp, i.tls, !i.auth_user.empty());
    h += " id " + i.queue_id + "\r\n";
    if (!i.auth_user.empty()) h += "\t(authenticated user " + comment_safe(i.auth_user) + ")\r\n";
    if (i.recipients.size() == 1) h += "\tfor <" + i.recipients.front() + ">";
    else h += "\t";
    h += "; " + rfc5322_date(i.when) + "\r\n";
    return h;
}

}  // namespace mailfw::smtp
