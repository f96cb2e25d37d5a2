#include "smtp/header_scanner.hpp"

#include <cstring>

namespace mailfw::smtp {

namespace {

constexpr std::string_view kReceived = "received";

inline char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
inline bool is_blank(char c) { return c == ' ' || c == '\t'; }
inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
inline bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

HeaderScanner::HeaderScanner(std::string local_hostname) {
    if (local_hostname.empty()) return;
    pattern_ = " by ";
    for (const char c : local_hostname) pattern_.push_back(to_lower(c));
    // KMP failure function: failure_[k] = longest proper border of pattern_[0, k).
    failure_.assign(pattern_.size() + 1, 0);
    unsigned k = 0;
    for (unsigned q = 1; q < pattern_.size(); ++q) {
        while (k > 0 && pattern_[q] != pattern_[k]) k = failure_[k];
        if (pattern_[q] == pattern_[k]) ++k;
        failure_[q + 1] = k;
    }
}

void HeaderScanner::match_char(char c) {
    const auto m = static_cast<unsigned>(pattern_.size());
    if (matched_ == m) {
        // " by host" seen; it is this host only if the name ends here.
        if (!is_host_char(c)) {
            ++local_received_;
            field_is_local_ = true;
            return;
        }
        matched_ = failure_[m];
    }
    while (matched_ > 0 && pattern_[matched_] != c) matched_ = failure_[matched_];
    if (pattern_[matched_] == c) ++matched_;
}

// Body octets with white space (folding included) collapsed to one SP. The
// LF ending each line is white space, so a name at the end of the field is
// always followed by a delimiter.
void HeaderScanner::received_char(char c) {
    if (field_is_local_ || pattern_.empty()) return;
    if (is_space(c)) {
        if (last_was_space_) return;
        last_was_space_ = true;
        match_char(' ');
    } else {
        last_was_space_ = false;
        match_char(to_lower(c));
    }
}

void HeaderScanner::feed(std::string_view message_bytes) {
    if (complete_) return;
    const char* const data = message_bytes.data();
    const size_t n = message_bytes.size();
    size_t i = 0;
    while (i < n) {
        const char c = data[i];
        switch (state_) {
        case State::line_start:
            if (c == '\n') {  // empty line: end of the header section
                header_bytes_ += i + 1;
                complete_ = true;
                return;
            }
            if (c == '\r') {
                state_ = State::line_start_cr;
                ++i;
            } else if (is_blank(c)) {
                // A continuation line belongs to the field before it (RFC 5322 §2.2.3).
                state_ = in_received_field_ ? State::received_body : State::other_line;
            } else {
                in_received_field_ = false;
                state_ = State::name;
                name_matched_ = 0;
            }
            break;

        case State::line_start_cr:
            if (c == '\n') {
                header_bytes_ += i + 1;
                complete_ = true;
                return;
            }
            // A line starting with a lone CR: not a field we count.
            in_received_field_ = false;
            state_ = State::other_line;
            break;

        case State::name:
            if (to_lower(c) != kReceived[name_matched_]) {
                state_ = State::other_line;
                break;
            }
            ++i;
            if (++name_matched_ == kReceived.size()) state_ = State::name_blank;
            break;

        case State::name_blank:
            if (is_blank(c)) {
                ++i;
            } else if (c == ':') {
                ++i;
                ++received_;
                in_received_field_ = true;
                field_is_local_ = false;
                matched_ = 0;
                last_was_space_ = false;
                received_char(' ');  // "by" may open the body: "Received:by host"
                state_ = State::received_body;
            } else {
                state_ = State::other_line;
            }
            break;

        case State::received_body:
            received_char(c);
            ++i;
            if (c == '\n') state_ = State::line_start;
            break;

        case State::other_line: {
            const auto* lf = static_cast<const char*>(std::memchr(data + i, '\n', n - i));
            if (!lf) {
                i = n;
            } else {
                i = static_cast<size_t>(lf - data) + 1;
                state_ = State::line_start;
            }
            break;
        }
        }
    }
    header_bytes_ += n;
}

}  // namespace mailfw::smtp
