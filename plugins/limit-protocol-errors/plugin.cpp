// limit-protocol-errors: MS-OXSMTP ProtocolViolationCount, for bad commands
// and for failed logons, each counted per session.
//   protocol errors  the replies that say the client broke the protocol:
//                    500, 501, 502, 503, 504 and 555 (syntax, sequence,
//                    not implemented), and any other 5xx with a 5.5.x
//                    status (protocol: improper pipelining, talking
//                    before the greeting). The one after max_protocol_errors
//                    is answered, then 421 4.7.0 and close (as Postfix's
//                    smtpd_hard_error_limit).
//   failed logons    AUTH that ends in 535 (any mechanism, GSSAPI and NTLM
//                    included): the one after max_logon_failures gets
//                    421 4.7.0 instead of its 535, and the session closes.
// With tarpit loaded every one of those replies is also held back, so a
// password guesser pays time for each try without holding a thread.
#include <mailfw/plugin.hpp>

#include <stdexcept>
#include <string>

#include "limit_support.hpp"

namespace {

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("max_protocol_errors", MAILFW_KEY_INT, "5",
                       "ProtocolViolationCount: bad commands (500-504, 555, other 5xx with a 5.5.x status) a session may send; the next closes it "
                       "with 421 4.7.0"),
    mailfw::config_key("max_logon_failures", MAILFW_KEY_INT, "3",
                       "failed AUTH attempts a session may make; the next gets 421 4.7.0 and closes it"),
};

bool protocol_error(uint32_t code, std::string_view enhanced) {
    return (code >= 500 && code <= 504) || code == 555 || (code >= 500 && code < 600 && enhanced.starts_with("5.5."));
}

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h)
        : PluginInstance(h),
          max_errors(h.config_number("max_protocol_errors").value_or(5)),
          max_failures(h.config_number("max_logon_failures").value_or(3)),
          errors_text("Too many protocol errors (limit " + std::to_string(max_errors) + "), closing connection"),
          failures_text("Too many failed logons (limit " + std::to_string(max_failures) + "), closing connection") {
        if (max_errors < 0 || max_failures < 0)
            throw std::runtime_error("[limit-protocol-errors] limits cannot be negative; use e.g. 5 and 3");
    }
    struct Connection {
        Connection(Instance& i, mailfw_session* s) : inst(i), session(s) {}
        int on_event(const mailfw_event& e, mailfw_verdict& v, mailfw_completion*) {
            if (e.hook == MAILFW_HOOK_AUTH) {
                if (e.result != MAILFW_SASL_FAIL || ++failures <= inst.max_failures) return MAILFW_CONTINUE;
                mailfw::limits::log_hit(inst.host(), session, "ProtocolViolationCount (logon failures)", 421,
                                        "4.7.0", inst.failures_text);
                return mailfw::verdict(v, MAILFW_DENYSOFT_DISCONNECT, 421, "4.7.0", inst.failures_text);
            }
            // REPLY: this reply still goes out; the 421 follows it.
            if (!protocol_error(e.code, mailfw::view(e.params)) || ++errors <= inst.max_errors || closing)
                return MAILFW_CONTINUE;
            closing = true;
            mailfw::limits::log_hit(inst.host(), session, "ProtocolViolationCount", 421, "4.7.0", inst.errors_text);
            inst.host().session_close(session, MAILFW_DENYSOFT_DISCONNECT, 421, "4.7.0", inst.errors_text);
            return MAILFW_CONTINUE;
        }
        Instance& inst;
        mailfw_session* session;
        int64_t errors = 0, failures = 0;
        bool closing = false;
    };
    const int64_t max_errors, max_failures;
    const std::string errors_text, failures_text;
};

constexpr mailfw_event_handler events = mailfw::event_handler_table<Instance>(
    MAILFW_HOOK_BIT(MAILFW_HOOK_REPLY) | MAILFW_HOOK_BIT(MAILFW_HOOK_AUTH));

constexpr mailfw_plugin descriptor = mailfw::event_plugin<Instance>(
    "limit-protocol-errors", "1.0.0",
    "ProtocolViolationCount: 421 4.7.0 after too many errors or failed logons", keys, events);

}  // namespace

MAILFW_PLUGIN(descriptor)
