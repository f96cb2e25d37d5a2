// SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 2034/3463).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace mailfw::smtp {

struct Reply {
    int code = 0;
    std::string enhanced;           // "2.1.0"; empty for 220/EHLO/334/354 (RFC 2034 §3)
    std::vector<std::string> lines;  // at least one; multi-line replies use "code-"

    Reply() = default;
    Reply(int c, std::string e, std::string text) : code(c), enhanced(std::move(e)), lines{std::move(text)} {}
    Reply(int c, std::string e, std::vector<std::string> ls) : code(c), enhanced(std::move(e)), lines(std::move(ls)) {}

};

// Wire form: every line "code-[enh ]text" except the last "code [enh ]text", CRLF each.
std::string format(const Reply& r);

// Enhanced code class must match the reply class ("5.x.x" with 5yz); empty
// or malformed enhanced codes are replaced by the generic one (x.0.0).
std::string normalize_enhanced(int code, std::string_view enhanced);

}  // namespace mailfw::smtp
