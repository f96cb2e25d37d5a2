// limit-recipients: MS-OXSMTP TooManyRecipients. The recipient after
// max_recipients gets 452 4.5.3 at its RCPT (RFC 5321 §4.5.3.1.10: the
// client sends the rest in another transaction); the session stays open.
#include <mailfw/plugin.hpp>

#include <stdexcept>
#include <string>

#include "limit_support.hpp"

namespace {

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("max_recipients", MAILFW_KEY_INT, "200",
                       "TooManyRecipients: recipients per message (452 4.5.3 for the next one)"),
};

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h)
        : PluginInstance(h),
          max(h.config_number("max_recipients").value_or(200)),
          text("Too many recipients (limit " + std::to_string(max) + ")") {
        const uint32_t cap = h.server_info().max_recipients;
        // RFC 5321 §4.5.3.1.8: a server must take at least 100.
        if (max < 100)
            throw std::runtime_error("max_recipients in [limit-recipients] must be at least 100 (RFC 5321 4.5.3.1.8)");
        if (cap && max > static_cast<int64_t>(cap))
            throw std::runtime_error("max_recipients in [limit-recipients] is above the core's cap of " +
                                     std::to_string(cap) + "; lower it");
    }
    struct Connection {
        Connection(Instance& i, mailfw_session* s) : inst(i), session(s) {}
        int on_event(const mailfw_event& e, mailfw_verdict& v, mailfw_completion*) {
            if (e.count < inst.max) return MAILFW_CONTINUE;  // count: accepted so far
            mailfw::limits::log_hit(inst.host(), session, "TooManyRecipients", 452, "4.5.3", inst.text);
            return mailfw::verdict(v, MAILFW_DENYSOFT, 452, "4.5.3", inst.text);
        }
        Instance& inst;
        mailfw_session* session;
    };
    const int64_t max;
    const std::string text;
};

constexpr mailfw_event_handler events = mailfw::event_handler_table<Instance>(MAILFW_HOOK_BIT(MAILFW_HOOK_RCPT));

constexpr mailfw_plugin descriptor = mailfw::event_plugin<Instance>(
    "limit-recipients", "1.0.0", "TooManyRecipients: 452 4.5.3", keys, events);

}  // namespace

MAILFW_PLUGIN(descriptor)
