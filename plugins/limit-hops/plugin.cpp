// limit-hops: MS-OXSMTP MaxHopCount and MaxLocalHopCount, the mail-loop
// guards. The host counts the Received: fields of the header block, and
// among them those this server stamped ("by <hostname>"); over either limit
// the message gets 554 5.4.6 at the end of DATA / BDAT LAST (RFC 5321
// §6.3). The session stays open.
#include <mailfw/plugin.hpp>

#include <stdexcept>
#include <string>

#include "limit_support.hpp"

namespace {

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("max_hop_count", MAILFW_KEY_INT, "30",
                       "MaxHopCount: most Received: header fields a message may carry (554 5.4.6)"),
    mailfw::config_key("max_local_hop_count", MAILFW_KEY_INT, "8",
                       "MaxLocalHopCount: most Received: fields this server's own name stamped (554 5.4.6)"),
};

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h)
        : PluginInstance(h),
          max_hops(h.config_number("max_hop_count").value_or(30)),
          max_local(h.config_number("max_local_hop_count").value_or(8)),
          hops_text("Too many hops (limit " + std::to_string(max_hops) + "): mail loop?"),
          local_text("Too many local hops (limit " + std::to_string(max_local) + "): mail loop?") {
        if (max_hops < 1 || max_local < 1)
            throw std::runtime_error("[limit-hops] hop counts must be at least 1; use e.g. 30 and 8");
    }
    struct Connection {
        Connection(Instance& i, mailfw_session* s) : inst(i), session(s) {}
        int on_event(const mailfw_event& e, mailfw_verdict& v, mailfw_completion*) {
            // count = Received: fields, local_count = ours (plugin.h, DATA_HEADERS)
            const bool local = e.local_count > inst.max_local;
            if (!local && e.count <= inst.max_hops) return MAILFW_CONTINUE;
            const std::string& text = local ? inst.local_text : inst.hops_text;
            mailfw::limits::log_hit(inst.host(), session, local ? "MaxLocalHopCount" : "MaxHopCount", 554, "5.4.6",
                                    text);
            return mailfw::verdict(v, MAILFW_DENY, 554, "5.4.6", text);
        }
        Instance& inst;
        mailfw_session* session;
    };
    const int64_t max_hops, max_local;
    const std::string hops_text, local_text;
};

constexpr mailfw_event_handler events =
    mailfw::event_handler_table<Instance>(MAILFW_HOOK_BIT(MAILFW_HOOK_DATA_HEADERS));

constexpr mailfw_plugin descriptor = mailfw::event_plugin<Instance>(
    "limit-hops", "1.0.0", "MaxHopCount and MaxLocalHopCount: 554 5.4.6", keys, events);

}  // namespace

MAILFW_PLUGIN(descriptor)
