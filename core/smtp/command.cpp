#include "smtp/command.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "util/base64.hpp"
#include "util/utf8.hpp"

namespace mailfw::smtp {

namespace {

// ---- character classes (RFC 5234 core rules, RFC 5321 §4.1.2) ----

inline unsigned char u8(char c) { return static_cast<unsigned char>(c); }
inline bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_hex(char c) { return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); }
inline bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
inline bool is_non_ascii(char c) { return u8(c) >= 0x80; }
inline char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// atext (RFC 5322 §3.2.3) plus UTF-8 octets (RFC 6531 §3.3).
inline bool is_atext(char c) {
    return is_alnum(c) || is_non_ascii(c) || (c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr);
}
// qtextSMTP = %d32-33 / %d35-91 / %d93-126, plus UTF-8 octets.
inline bool is_qtext(char c) { return (u8(c) >= 32 && u8(c) <= 126 && c != '"' && c != '\\') || is_non_ascii(c); }
// Letters, digits, hyphen of a sub-domain; UTF-8 octets for U-labels (RFC 6531 §3.3).
inline bool is_ldh(char c) { return is_alnum(c) || c == '-' || is_non_ascii(c); }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (to_upper(a[i]) != to_upper(b[i])) return false;
    return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = to_upper(c);
    return out;
}

// Client text echoed in a reply: anything but printable ASCII becomes '?',
// so a reply can never be split or carry control characters (stricter than
// mailfw::printable, which keeps UTF-8 for logs).
std::string ascii_only(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (u8(c) < 32 || u8(c) > 126) c = '?';
    return out;
}

std::string_view trim_trailing_blanks(std::string_view s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// ---- address literals (RFC 5321 §4.1.3) ----

// IPv4-address-literal = Snum 3("." Snum), Snum = 1*3DIGIT in 0..255.
bool valid_ipv4_literal(std::string_view s) {
    int parts = 0;
    std::size_t i = 0;
    while (true) {
        std::size_t digits = 0;
        unsigned value = 0;
        while (i < s.size() && is_digit(s[i]) && digits < 4) {
            value = value * 10 + static_cast<unsigned>(s[i] - '0');
            ++digits;
            ++i;
        }
        if (digits == 0 || digits > 3 || value > 255) return false;
        ++parts;
        if (i == s.size()) return parts == 4;
        if (s[i] != '.' || parts == 4) return false;
        ++i;
    }
}

// IPv6-address-literal = "IPv6:" IPv6-addr. The address grammar of RFC 5321
// equals RFC 4291 §2.2 text form, which inet_pton checks without any I/O.
bool valid_ipv6_literal(std::string_view s) {
    if (s.empty() || s.size() > 45) return false;  // INET6_ADDRSTRLEN - 1
    // Only the grammar's characters: inet_pton would stop at an embedded NUL.
    for (const char c : s)
        if (!is_hex(c) && c != ':' && c != '.') return false;
    char buf[46];
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    unsigned char addr[16];
    return ::inet_pton(AF_INET6, buf, addr) == 1;
}

// The text between '[' and ']'. General-address-literal (a registered tag)
// is refused: no such tags exist besides IPv6.
bool valid_address_literal_content(std::string_view s) {
    if (istarts_with(s, "IPv6:")) return valid_ipv6_literal(s.substr(5));
    return valid_ipv4_literal(s);
}

// ---- the path parser (RFC 5321 §4.1.2) ----

class PathParser {
public:
    explicit PathParser(std::string_view s) : s_(s) {}

    std::size_t pos() const { return pos_; }
    bool at_end() const { return pos_ >= s_.size(); }
    char peek() const { return at_end() ? '\0' : s_[pos_]; }
    bool eat(char c) {
        if (peek() != c || at_end()) return false;
        ++pos_;
        return true;
    }
    void advance(std::size_t n) { pos_ = std::min(pos_ + n, s_.size()); }
    void skip_spaces() {
        while (!at_end() && s_[pos_] == ' ') ++pos_;
    }

    // Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str].
    // Ends at the first octet that cannot continue it.
    bool domain(std::string& error) {
        const std::size_t start = pos_;
        while (true) {
            const std::size_t label = pos_;
            while (!at_end() && is_ldh(s_[pos_])) ++pos_;
            const std::size_t len = pos_ - label;
            if (len == 0 || s_[label] == '-' || s_[pos_ - 1] == '-') {
                error = "Bad address syntax: invalid domain";
                return false;
            }
            if (len > 63) {  // RFC 1035 §2.3.4
                error = "Bad address syntax: domain label longer than 63 octets";
                return false;
            }
            if (!eat('.')) break;
        }
        if (pos_ - start > kMaxDomainLength) {
            error = "Domain too long (maximum 255 octets)";
            return false;
        }
        return true;
    }

    // address-literal = "[" ( IPv4 / IPv6 ) "]".
    bool address_literal(std::string_view& text, std::string& error) {
        const std::size_t start = pos_;
        ++pos_;  // '['
        while (!at_end() && s_[pos_] != ']' && s_[pos_] != '>') ++pos_;
        if (!eat(']') || !valid_address_literal_content(s_.substr(start + 1, pos_ - start - 2))) {
            error = "Bad address syntax: invalid address literal";
            return false;
        }
        text = s_.substr(start, pos_ - start);
        return true;
    }

    // A-d-l = At-domain *( "," At-domain ) ":" ; only reached on '@'.
    bool source_route(std::string& error) {
        do {
            if (!eat('@') || !domain(error)) {
                error = "Bad address syntax: invalid source route";
                return false;
            }
        } while (eat(','));
        if (!eat(':')) {
            error = "Bad address syntax: invalid source route";
            return false;
        }
        return true;
    }

    // Local-part = Dot-string / Quoted-string.
    bool local_part(std::string& error) {
        if (eat('"')) {
            while (true) {
                if (at_end()) {
                    error = "Bad address syntax: unterminated quoted local part";
                    return false;
                }
                const char c = s_[pos_];
                if (c == '"') {
                    ++pos_;
                    return true;
                }
                if (c == '\\') {
                    // quoted-pairSMTP = "\" %d32-126
                    if (pos_ + 1 >= s_.size() || u8(s_[pos_ + 1]) < 32 || u8(s_[pos_ + 1]) > 126) {
                        error = "Bad address syntax: invalid quoted local part";
                        return false;
                    }
                    pos_ += 2;
                } else if (is_qtext(c)) {
                    ++pos_;
                } else {
                    error = "Bad address syntax: invalid quoted local part";
                    return false;
                }
            }
        }
        // Dot-string = Atom *("." Atom)
        while (true) {
            const std::size_t atom = pos_;
            while (!at_end() && is_atext(s_[pos_])) ++pos_;
            if (pos_ == atom) {
                error = "Bad address syntax: invalid local part";
                return false;
            }
            if (!eat('.')) return true;
        }
    }

private:
    std::string_view s_;
    std::size_t pos_ = 0;
};

enum class PathKind { reverse, forward };

PathResult fail(std::string text) { return PathResult{std::nullopt, std::move(text)}; }

// esmtp-param = esmtp-keyword ["=" esmtp-value] (RFC 5321 §4.1.2);
// esmtp-value may carry UTF-8 (RFC 6531 §3.3). Parameters are separated by SP.
bool parse_params(std::string_view s, std::vector<EsmtpParam>& params, std::string& error) {
    std::size_t i = 0;
    while (true) {
        while (i < s.size() && s[i] == ' ') ++i;
        if (i == s.size()) return true;
        const std::size_t end = std::min(s.find(' ', i), s.size());
        const std::string_view token = s.substr(i, end - i);
        i = end;
        const std::size_t eq = token.find('=');
        const std::string_view keyword = token.substr(0, eq);
        bool ok = !keyword.empty() && is_alnum(keyword[0]);
        for (const char c : keyword) ok = ok && (is_alnum(c) || c == '-');
        std::optional<std::string> value;
        if (ok && eq != std::string_view::npos) {
            const std::string_view v = token.substr(eq + 1);
            ok = !v.empty() && utf8::is_valid(v);
            for (const char c : v) ok = ok && ((u8(c) >= 33 && u8(c) <= 126 && c != '=') || is_non_ascii(c));
            value = std::string(v);
        }
        if (!ok) {
            error = "Bad parameter syntax: " + ascii_only(token.substr(0, 64));
            return false;
        }
        std::string key = upper(keyword);
        for (const auto& p : params) {
            if (p.keyword == key) {
                error = "Duplicate parameter " + key;
                return false;
            }
        }
        params.push_back(EsmtpParam{std::move(key), std::move(value)});
    }
}

// "FROM:<path> [params]" / "TO:<path> [params]".
PathResult parse_path_argument(std::string_view args, PathKind kind) {
    const std::string_view prefix = kind == PathKind::reverse ? "FROM:" : "TO:";
    args = trim_trailing_blanks(args);
    if (!istarts_with(args, prefix))
        return fail(kind == PathKind::reverse ? "Syntax: MAIL FROM:<address>" : "Syntax: RCPT TO:<address>");

    PathParser p(args);
    p.advance(prefix.size());
    p.skip_spaces();  // "FROM: <a>" is common (RFC 5321 has no space there)
    const std::size_t open = p.pos();
    if (!p.eat('<')) return fail("Bad address syntax: address must be enclosed in <>");

    std::string error;
    std::string_view address;
    if (p.peek() == '>') {
        if (kind == PathKind::forward) return fail("Null recipient <> not allowed");
    } else {
        if (p.peek() == '@' && !p.source_route(error)) return fail(error);
        const std::size_t mailbox = p.pos();
        if (!p.local_part(error)) return fail(error);
        const std::size_t local_len = p.pos() - mailbox;
        if (local_len > kMaxLocalPartLength) return fail("Local part too long (maximum 64 octets)");
        const std::string_view local = args.substr(mailbox, local_len);
        // RFC 5321 §4.1.1.3: "<Postmaster>" without a domain, case-insensitive.
        const bool postmaster = kind == PathKind::forward && p.peek() == '>' && iequals(local, "postmaster");
        if (!postmaster) {
            if (!p.eat('@')) return fail("Bad address syntax: missing @domain");
            if (p.peek() == '[') {
                std::string_view literal;
                if (!p.address_literal(literal, error)) return fail(error);
            } else if (!p.domain(error)) {
                return fail(error);
            }
        }
        address = args.substr(mailbox, p.pos() - mailbox);
        if (!utf8::is_valid(address)) return fail("Bad address syntax: invalid UTF-8");
    }
    if (!p.eat('>')) {
        return fail(p.at_end() ? "Bad address syntax: missing '>'"
                               : "Bad address syntax: unexpected character in address");
    }
    if (p.pos() - open > kMaxPathLength) return fail("Path too long (maximum 256 octets)");

    Path path;
    path.address = std::string(address);
    const std::string_view rest = args.substr(p.pos());
    if (!rest.empty()) {
        if (rest[0] != ' ') return fail("Bad address syntax: unexpected text after '>'");
        if (!parse_params(rest, path.params, error)) return fail(error);
    }
    return PathResult{std::move(path), {}};
}

// Lenient hostname for EHLO/HELO: labels of letters, digits, '-', '_' or
// UTF-8, separated by single dots.
bool valid_lenient_hostname(std::string_view s) {
    if (s.empty() || s.size() > kMaxDomainLength) return false;
    bool label_empty = true;
    for (const char c : s) {
        if (c == '.') {
            if (label_empty) return false;
            label_empty = true;
        } else if (is_ldh(c) || c == '_') {
            label_empty = false;
        } else {
            return false;
        }
    }
    return !label_empty && utf8::is_valid(s);
}

struct VerbEntry {
    std::string_view name;
    Verb verb;
};
constexpr std::array<VerbEntry, 14> kVerbs{{
    {"HELO", Verb::helo},
    {"EHLO", Verb::ehlo},
    {"MAIL", Verb::mail},
    {"RCPT", Verb::rcpt},
    {"DATA", Verb::data},
    {"BDAT", Verb::bdat},
    {"RSET", Verb::rset},
    {"NOOP", Verb::noop},
    {"QUIT", Verb::quit},
    {"VRFY", Verb::vrfy},
    {"EXPN", Verb::expn},
    {"HELP", Verb::help},
    {"STARTTLS", Verb::starttls},
    {"AUTH", Verb::auth},
}};

}  // namespace

Command parse_command(std::string_view line) {
    Command cmd;
    const std::size_t sp = line.find(' ');
    cmd.verb_text = line.substr(0, sp);
    if (sp != std::string_view::npos) cmd.args = trim_trailing_blanks(line.substr(sp + 1));
    for (const auto& entry : kVerbs) {
        if (iequals(cmd.verb_text, entry.name)) {
            cmd.verb = entry.verb;
            break;
        }
    }
    return cmd;
}

std::string_view verb_name(Verb verb) {
    for (const auto& entry : kVerbs)
        if (entry.verb == verb) return entry.name;
    return {};
}

PathResult parse_mail_from(std::string_view args) { return parse_path_argument(args, PathKind::reverse); }

PathResult parse_rcpt_to(std::string_view args) { return parse_path_argument(args, PathKind::forward); }

std::optional<BdatArgs> parse_bdat(std::string_view args) {
    args = trim_trailing_blanks(args);
    BdatArgs out;
    std::size_t i = 0;
    constexpr uint64_t kMax = uint64_t{1} << 63;
    while (i < args.size() && is_digit(args[i])) {
        if (i == 20) return std::nullopt;
        const auto d = static_cast<uint64_t>(args[i] - '0');
        if (out.size > (kMax - d) / 10) return std::nullopt;  // would exceed 2^63
        out.size = out.size * 10 + d;
        ++i;
    }
    if (i == 0) return std::nullopt;
    if (i == args.size()) return out;
    if (args[i] != ' ') return std::nullopt;
    while (i < args.size() && args[i] == ' ') ++i;
    if (!iequals(args.substr(i), "LAST")) return std::nullopt;
    out.last = true;
    return out;
}

std::optional<AuthArgs> parse_auth(std::string_view args) {
    args = trim_trailing_blanks(args);
    const std::size_t sp = args.find(' ');
    const std::string_view mech = args.substr(0, sp);
    if (mech.empty() || mech.size() > 20) return std::nullopt;
    for (const char c : mech)
        if (!is_alnum(c) && c != '-' && c != '_') return std::nullopt;

    AuthArgs out;
    out.mechanism_as_sent = std::string(mech);
    out.mechanism_upper = upper(mech);
    if (sp != std::string_view::npos) {
        std::string_view response = args.substr(sp);
        while (!response.empty() && response.front() == ' ') response.remove_prefix(1);
        // initial-response = base64 / "=" (RFC 4954 §4); base64 excludes SP.
        if (response != "=" && (response.empty() || !base64::is_valid(response))) return std::nullopt;
        out.initial_response = response;
    }
    return out;
}

bool valid_helo_argument(std::string_view arg) {
    if (arg.empty()) return false;
    if (arg.front() == '[')
        return arg.size() >= 2 && arg.back() == ']' && valid_address_literal_content(arg.substr(1, arg.size() - 2));
    return valid_lenient_hostname(arg);
}

}  // namespace mailfw::smtp
