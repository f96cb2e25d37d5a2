// limit-size: MS-OXSMTP HeaderSizeExceeded and MessageSizeExceeded.
//   EHLO        SIZE <max_message_size> (RFC 1870), in place of the core's
//   MAIL FROM   SIZE= over the limit          -> 552 5.3.4
//   header      more than max_header_size     -> 552 5.3.4 after the message
//   message     more than max_message_size    -> 552 5.3.4 at its end (DATA
//               or BDAT); the core stores no more than the SIZE advertised
// Sessions stay open.
#include <mailfw/plugin.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "limit_support.hpp"

namespace {

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("max_message_size", MAILFW_KEY_SIZE, "36MiB",
                       "MessageSizeExceeded: largest message accepted, advertised as EHLO SIZE (552 5.3.4)"),
    mailfw::config_key("max_header_size", MAILFW_KEY_SIZE, "256KiB",
                       "HeaderSizeExceeded: largest header block accepted (552 5.3.4)"),
};

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h)
        : PluginInstance(h),
          max_message(static_cast<uint64_t>(h.config_number("max_message_size").value_or(37748736))),
          max_header(static_cast<uint64_t>(h.config_number("max_header_size").value_or(262144))),
          message_text("Message size exceeds fixed maximum message size (limit " + std::to_string(max_message) +
                       " octets)"),
          header_text("Header size exceeds the limit (limit " + std::to_string(max_header) + " octets)"),
          ehlo{"SIZE " + std::to_string(max_message)} {
        const uint64_t cap = h.server_info().max_message_size;
        if (max_message == 0 || max_header == 0)
            throw std::runtime_error("[limit-size] sizes must be more than 0; use e.g. 36MiB");
        if (cap && max_message > cap)
            throw std::runtime_error("max_message_size in [limit-size] is above the core's cap of " +
                                     std::to_string(cap) + " octets; lower it");
    }

    struct Connection {
        Connection(Instance& i, mailfw_session* s) : inst(i), session(s) {}
        const std::vector<std::string>& ehlo_keywords() const { return inst.ehlo; }
        int on_event(const mailfw_event& e, mailfw_verdict& v, mailfw_completion*) {
            const bool header = e.hook == MAILFW_HOOK_DATA_HEADERS;
            const uint64_t limit = header ? inst.max_header : inst.max_message;
            if (e.bytes <= limit) return MAILFW_CONTINUE;  // MAIL: SIZE= (0 when not given)
            const std::string& text = header ? inst.header_text : inst.message_text;
            mailfw::limits::log_hit(inst.host(), session, header ? "HeaderSizeExceeded" : "MessageSizeExceeded",
                                    552, "5.3.4", text + (e.hook == MAILFW_HOOK_MAIL ? " (SIZE=)" : ""));
            return mailfw::verdict(v, MAILFW_DENY, 552, "5.3.4", text);
        }
        Instance& inst;
        mailfw_session* session;
    };

    const uint64_t max_message, max_header;
    const std::string message_text, header_text;  // outlive on_event, as verdict texts must
    const std::vector<std::string> ehlo;
};

constexpr mailfw_event_handler events = mailfw::event_handler_table<Instance>(
    MAILFW_HOOK_BIT(MAILFW_HOOK_MAIL) | MAILFW_HOOK_BIT(MAILFW_HOOK_DATA_HEADERS) | MAILFW_HOOK_BIT(MAILFW_HOOK_DATA_END));

constexpr mailfw_plugin descriptor = mailfw::event_plugin<Instance>(
    "limit-size", "1.0.0", "MessageSizeExceeded and HeaderSizeExceeded: 552 5.3.4; EHLO SIZE", keys, events);

}  // namespace

MAILFW_PLUGIN(descriptor)
