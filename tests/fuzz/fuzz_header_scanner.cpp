// Fuzz target for the header scanner. Input: [split][host length][host][message].
// Checked: the streaming scanner, fed whole, split in two and byte by byte,
// agrees with a simple reference that unfolds whole fields and searches them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "smtp/header_scanner.hpp"

using mailfw::smtp::HeaderScanner;

namespace {

struct Result {
    bool complete;
    uint64_t header_bytes;
    unsigned received;
    unsigned local;

    bool operator==(const Result&) const = default;
};

Result scan(const std::string& host, std::string_view message, size_t first, size_t chunk) {
    HeaderScanner s(host);
    size_t pos = 0;
    size_t piece = first;
    while (pos < message.size()) {
        const std::string_view part = message.substr(pos, piece);
        s.feed(part);
        pos += part.size();
        piece = chunk;
    }
    return Result{s.headers_complete(), s.header_bytes(), s.received_count(), s.local_received_count()};
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

// Received field body -> does it name `host` after "by"?
bool names_host(std::string_view body, const std::string& host) {
    if (host.empty()) return false;
    std::string norm = " ";
    for (const char c : body) {
        if (is_ws(c)) {
            if (norm.back() != ' ') norm += ' ';
        } else {
            norm += lower(c);
        }
    }
    std::string pattern = " by ";
    for (const char c : host) pattern += lower(c);
    for (size_t at = norm.find(pattern); at != std::string::npos; at = norm.find(pattern, at + 1)) {
        const size_t end = at + pattern.size();
        if (end < norm.size() && !is_host_char(norm[end])) return true;
    }
    return false;
}

// Non-streaming reference: split into lines, group fields, look at each.
Result reference(const std::string& host, std::string_view m) {
    Result r{false, m.size(), 0, 0};
    size_t pos = 0;
    bool in_received = false;
    std::string body;
    const auto close_field = [&] {
        if (in_received && names_host(body, host)) ++r.local;
        in_received = false;
        body.clear();
    };
    while (pos < m.size()) {
        const size_t lf = m.find('\n', pos);
        const size_t end = lf == std::string_view::npos ? m.size() : lf + 1;
        const std::string_view line = m.substr(pos, end - pos);
        pos = end;
        if (line == "\n" || line == "\r\n") {
            r.complete = true;
            r.header_bytes = pos;
            break;
        }
        if (line[0] == ' ' || line[0] == '\t') {
            if (in_received) body += line;
            continue;
        }
        close_field();
        // "Received" *WSP ":"
        static constexpr std::string_view kName = "received";
        size_t i = 0;
        while (i < kName.size() && i < line.size() && lower(line[i]) == kName[i]) ++i;
        if (i < kName.size()) continue;
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (i == line.size() || line[i] != ':') continue;
        ++r.received;
        in_received = true;
        body = line.substr(i + 1);
    }
    close_field();
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const size_t host_len = std::min<size_t>(static_cast<uint8_t>(in[1]) % 24, size - 2);
    const std::string host(in.substr(2, host_len));
    const std::string_view message = in.substr(2 + host_len);
    const size_t split = message.size() * static_cast<uint8_t>(in[0]) / 255;

    const Result whole = scan(host, message, message.size(), message.size());
    FUZZ_CHECK(scan(host, message, split, message.size()) == whole);
    if (message.size() <= 4096) FUZZ_CHECK(scan(host, message, 1, 1) == whole);
    FUZZ_CHECK(whole == reference(host, message));
    FUZZ_CHECK(whole.local <= whole.received);
    FUZZ_CHECK(whole.header_bytes <= message.size());
    if (whole.complete) FUZZ_CHECK(message[whole.header_bytes - 1] == '\n');
    return 0;
}
