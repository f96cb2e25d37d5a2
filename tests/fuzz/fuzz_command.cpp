// Fuzz target for the SMTP command parsers: none crashes on any line, each
// result keeps its invariants, and an accepted path re-serialised from its
// parts parses to the same result.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "smtp/command.hpp"
#include "util/base64.hpp"
#include "util/utf8.hpp"

using namespace mailfw::smtp;

namespace {

bool inside(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

bool printable_ascii(std::string_view s) {
    for (const char c : s)
        if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) return false;
    return true;
}

bool has_control(std::string_view s) {
    for (const char c : s)
        if (static_cast<unsigned char>(c) < 32 || c == 0x7f) return true;
    return false;
}

std::string serialise(std::string_view keyword, const Path& path) {
    std::string s(keyword);
    s += '<';
    s += path.address;
    s += '>';
    for (const auto& p : path.params) {
        s += ' ';
        s += p.keyword;
        if (p.value) s += '=' + *p.value;
    }
    return s;
}

void check_path(const PathResult& r, std::string_view keyword, bool is_rcpt) {
    FUZZ_CHECK(r.path.has_value() == r.error.empty());
    // The error goes into a reply line: never CR, LF or other control octets.
    FUZZ_CHECK(printable_ascii(r.error));
    if (!r.path) return;
    const Path& p = *r.path;
    FUZZ_CHECK(p.address.size() + 2 <= kMaxPathLength);
    FUZZ_CHECK(!has_control(p.address));
    FUZZ_CHECK(mailfw::utf8::is_valid(p.address));
    FUZZ_CHECK(p.address.find('<') == std::string::npos || p.address.front() == '"');
    if (is_rcpt) FUZZ_CHECK(!p.address.empty());
    if (!p.address.empty() && p.address.front() != '"') {
        const auto at = p.address.rfind('@');
        if (at == std::string::npos) FUZZ_CHECK(is_rcpt && p.address.size() == 10);  // postmaster
        else FUZZ_CHECK(at <= kMaxLocalPartLength);
    }
    std::set<std::string> seen;
    for (const auto& param : p.params) {
        FUZZ_CHECK(!param.keyword.empty());
        for (const char c : param.keyword) FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-');
        FUZZ_CHECK(seen.insert(param.keyword).second);
        if (param.value) {
            FUZZ_CHECK(!param.value->empty());
            FUZZ_CHECK(param.value->find_first_of("= ") == std::string::npos);
            FUZZ_CHECK(!has_control(*param.value));
        }
    }
    // Re-serialised (route dropped, single spaces) it parses to the same.
    const std::string again = serialise(keyword, p);
    const PathResult r2 = is_rcpt ? parse_rcpt_to(again) : parse_mail_from(again);
    FUZZ_CHECK(r2.path.has_value());
    FUZZ_CHECK(r2.path->address == p.address);
    FUZZ_CHECK(r2.path->params.size() == p.params.size());
    for (size_t i = 0; i < p.params.size(); ++i) {
        FUZZ_CHECK(r2.path->params[i].keyword == p.params[i].keyword);
        FUZZ_CHECK(r2.path->params[i].value == p.params[i].value);
    }
}

void check_all(std::string_view in) {
    check_path(parse_mail_from(in), "FROM:", false);
    check_path(parse_rcpt_to(in), "TO:", true);

    if (const auto b = parse_bdat(in)) {
        FUZZ_CHECK(b->size <= (uint64_t{1} << 63));
        const auto again = parse_bdat(std::to_string(b->size) + (b->last ? " LAST" : ""));
        FUZZ_CHECK(again && again->size == b->size && again->last == b->last);
    }

    if (const auto a = parse_auth(in)) {
        FUZZ_CHECK(!a->mechanism_as_sent.empty() && a->mechanism_as_sent.size() <= 20);
        FUZZ_CHECK(a->mechanism_upper.size() == a->mechanism_as_sent.size());
        for (const char c : a->mechanism_upper) FUZZ_CHECK(!(c >= 'a' && c <= 'z'));
        if (a->initial_response) {
            FUZZ_CHECK(inside(*a->initial_response, in));
            FUZZ_CHECK(*a->initial_response == "=" || mailfw::base64::decode(*a->initial_response).has_value());
        }
    }

    if (valid_helo_argument(in)) {
        FUZZ_CHECK(!in.empty() && in.size() <= 257);
        FUZZ_CHECK(in.find(' ') == std::string_view::npos);
        FUZZ_CHECK(!has_control(in));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);

    const Command cmd = parse_command(line);
    FUZZ_CHECK(inside(cmd.verb_text, line) && inside(cmd.args, line));
    FUZZ_CHECK(cmd.verb_text.find(' ') == std::string_view::npos);
    FUZZ_CHECK(cmd.args.empty() || (cmd.args.back() != ' ' && cmd.args.back() != '\t'));
    FUZZ_CHECK((cmd.verb == Verb::unknown) == verb_name(cmd.verb).empty());
    if (cmd.verb != Verb::unknown) FUZZ_CHECK(cmd.verb_text.size() == verb_name(cmd.verb).size());

    // Each parser both on the arguments of the line and on the raw input.
    check_all(cmd.args);
    check_all(line);
    return 0;
}
