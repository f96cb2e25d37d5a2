// access-ip: MS-OXSMTP IPAddressNotAllowed. At connect, the client's
// address is looked up in `deny` and `allow` (CIDR lists); the most
// specific match wins, a tie is a deny, no match is an allow (so
// "deny = 0.0.0.0/0" with a narrower allow serves only the allowed). A
// denied client gets 550 5.7.1 and, by default, the session closes; with
// disconnect = false the 550 is the greeting and only QUIT is taken
// (RFC 5321 §3.1).
#include <mailfw/plugin.hpp>

#include <string>
#include <vector>

#include "limit_support.hpp"

namespace {

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("deny", MAILFW_KEY_STRING, nullptr,
                       "networks (CIDR, space or comma separated) refused at connect; may repeat", MAILFW_KEY_MULTI),
    mailfw::config_key("allow", MAILFW_KEY_STRING, nullptr,
                       "networks served even inside a denied one (the most specific match wins); may repeat",
                       MAILFW_KEY_MULTI),
    mailfw::config_key("disconnect", MAILFW_KEY_BOOL, "true",
                       "close after the 550 5.7.1 (false: it is the greeting, and only QUIT is taken)"),
};

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h)
        : PluginInstance(h),
          deny(mailfw::limits::ranges(h, "deny", "access-ip")),
          allow(mailfw::limits::ranges(h, "allow", "access-ip")),
          disconnect(h.config_number("disconnect").value_or(1) != 0) {}

    bool denied(std::string_view address) const {
        const auto d = mailfw::longest_match(deny, address);
        const auto a = mailfw::longest_match(allow, address);
        return d && (!a || *d >= *a);
    }

    struct Connection {
        Connection(Instance& i, mailfw_session* s) : inst(i), session(s) {}
        int on_event(const mailfw_event&, mailfw_verdict& v, mailfw_completion*) {
            const std::string address(mailfw::view(inst.host().session_info(session).remote_address));
            if (!inst.denied(address)) return MAILFW_CONTINUE;
            text = "Access denied: " + address + " is not allowed to connect";
            mailfw::limits::log_hit(inst.host(), session, "IPAddressNotAllowed", 550, "5.7.1", text);
            return mailfw::verdict(v, inst.disconnect ? MAILFW_DENY_DISCONNECT : MAILFW_DENY, 550, "5.7.1", text);
        }
        Instance& inst;
        mailfw_session* session;
        std::string text;
    };

    const std::vector<mailfw::IpRange> deny, allow;
    const bool disconnect;
};

constexpr mailfw_event_handler events = mailfw::event_handler_table<Instance>(MAILFW_HOOK_BIT(MAILFW_HOOK_CONNECT));

constexpr mailfw_plugin descriptor = mailfw::event_plugin<Instance>(
    "access-ip", "1.0.0", "IPAddressNotAllowed: 550 5.7.1", keys, events);

}  // namespace

MAILFW_PLUGIN(descriptor)
