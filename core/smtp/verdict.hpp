// A handler's verdict on the host side, and how it becomes an SMTP reply.
#pragma once
#include <mailfw/plugin.h>

#include <cstdint>
#include <string>

#include "smtp/reply.hpp"

namespace mailfw::smtp {

struct Verdict {
    uint32_t action = MAILFW_CONTINUE;
    uint32_t code = 0;
    std::string enhanced;
    std::string text;
    uint32_t delay_ms = 0;
    std::string plugin;  // who decided, for the log

    bool stops() const { return action != MAILFW_CONTINUE; }
    bool closes() const {
        return action == MAILFW_DENY_DISCONNECT || action == MAILFW_DENYSOFT_DISCONNECT || action == MAILFW_DISCONNECT;
    }
};

// Copies a plugin-filled verdict (min(struct_size)); unknown actions become CONTINUE.
Verdict from_c(const mailfw_verdict* v);

// The reply for a rejecting verdict: the handler's code/enhanced/text when
// they are valid for the action's class, else the defaults
// (DENY 550 5.7.1, DENYSOFT 450 4.7.1, DENY_DISCONNECT 554 5.7.1,
// DENYSOFT_DISCONNECT 421 4.7.0).
Reply reply_for(const Verdict& v);

// A plugin's failure answer as a reply (a verdict, a refused recipient, a
// failed delivery): its code when it is of the right class (4xx when
// !permanent, else 5xx), its enhanced code and text when valid, else the
// defaults. The text becomes one line of printable octets.
struct ReplyDefaults {
    int code;
    const char* enhanced;
    const char* text;
};
Reply failure_reply(bool permanent, uint32_t code, std::string_view enhanced, std::string_view text,
                    const ReplyDefaults& defaults);

}  // namespace mailfw::smtp
