#include "smtp/verdict.hpp"

#include <mailfw/plugin.hpp>


namespace mailfw::smtp {

Verdict from_c(const mailfw_verdict* p) {
    mailfw_verdict v = mailfw::copy_struct(p);
    Verdict out;
    out.action = v.action <= MAILFW_DISCONNECT ? v.action : static_cast<uint32_t>(MAILFW_CONTINUE);
    out.code = v.code;
    out.enhanced = std::string(mailfw::view(v.enhanced));
    out.text = std::string(mailfw::view(v.text));
    out.delay_ms = v.delay_ms;
    return out;
}

Reply reply_for(const Verdict& v) {
    int def_code = 550;
    const char* def_enh = "5.7.1";
    const char* def_text = "Rejected by policy";
    switch (v.action) {
        case MAILFW_DENYSOFT:
            def_code = 450, def_enh = "4.7.1", def_text = "Temporarily rejected, try again later";
            break;
        case MAILFW_DENY_DISCONNECT:
            def_code = 554, def_enh = "5.7.1", def_text = "Rejected by policy, closing connection";
            break;
        case MAILFW_DENYSOFT_DISCONNECT:
            def_code = 421, def_enh = "4.7.0", def_text = "Try again later, closing connection";
            break;
        default:
            break;
    }
    bool soft = v.action == MAILFW_DENYSOFT || v.action == MAILFW_DENYSOFT_DISCONNECT;
    return failure_reply(!soft, v.code, v.enhanced, v.text, {def_code, def_enh, def_text});
}

Reply failure_reply(bool permanent, uint32_t code, std::string_view enhanced, std::string_view text,
                    const ReplyDefaults& defaults) {
    int c = defaults.code;
    if (code >= 400 && code <= 599 && (code >= 500) == permanent) c = static_cast<int>(code);
    // One line, no CRLF injection; DEL is no textstring octet either (RFC 5321 §4.2).
    std::string line = mailfw::printable(text, std::string_view::npos, ' ');
    if (line.empty()) line = defaults.text;
    std::string enh = normalize_enhanced(c, enhanced.empty() ? std::string_view(defaults.enhanced) : enhanced);
    return Reply(c, enh, line);
}

}  // namespace mailfw::smtp
