// limit-connections: MS-OXSMTP ConnectionCountExceeded, ConnectionCountPerSource
// and NewConnectionNotAvailable, decided at connect.
//   the server cannot serve a new session (shutting down, or a delivery
//   reports itself unavailable)            -> 421 4.4.2, close
//   more than max_inbound_connections      -> 421 4.3.2, close
//   more than max_connections_per_source   -> 421 4.3.2, close
// A source is the client's address, IPv6 grouped by ipv6_prefix; `exempt`
// networks are not counted. The counts are the host's counter service
// (asynchronous: a shared backend later counts a whole cluster); every
// increment asked for is given back when the session ends.
#include <mailfw/plugin.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "limit_support.hpp"

namespace {

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("max_inbound_connections", MAILFW_KEY_INT, "5000",
                       "ConnectionCountExceeded: concurrent sessions in all (421 4.3.2)"),
    mailfw::config_key("max_connections_per_source", MAILFW_KEY_INT, "20",
                       "ConnectionCountPerSource: concurrent sessions from one source (421 4.3.2)"),
    mailfw::config_key("ipv6_prefix", MAILFW_KEY_INT, "64", "IPv6 clients are one source per network of this prefix"),
    mailfw::config_key("exempt", MAILFW_KEY_STRING, nullptr,
                       "networks (CIDR, space or comma separated) whose sessions are not counted; may repeat",
                       MAILFW_KEY_MULTI),
};

constexpr const char* kAll = "all";

void ignore_answer(void*, int, int64_t) {}

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h)
        : PluginInstance(h),
          max_all(h.config_number("max_inbound_connections").value_or(5000)),
          max_source(h.config_number("max_connections_per_source").value_or(20)),
          ipv6_prefix(h.config_number("ipv6_prefix").value_or(64)),
          exempt(mailfw::limits::ranges(h, "exempt", "limit-connections")),
          all_text("Too many connections (limit " + std::to_string(max_all) + "), closing connection"),
          unavailable_text("Service not available: cannot take a new connection now, try again later") {
        if (max_all < 1 || max_source < 1)
            throw std::runtime_error("[limit-connections] connection limits must be at least 1");
        if (ipv6_prefix < 1 || ipv6_prefix > 128)
            throw std::runtime_error("ipv6_prefix in [limit-connections] must be 1 to 128; use e.g. 64");
    }

    struct Connection {
        Connection(Instance& i, mailfw_session* s) : inst(i), session(s) {}
        ~Connection() {
            // Give back what was counted, without the session (it is ending).
            for (const Count& c : counts)
                if (c.asked && !c.failed)
                    inst.host().counter_update_async(nullptr, c.key, -1, 0, &ignore_answer, nullptr);
        }

        int on_event(const mailfw_event&, mailfw_verdict& v, mailfw_completion* later) {
            const auto& host = inst.host();
            if (!host.server_info().accepting) {
                mailfw::limits::log_hit(host, session, "NewConnectionNotAvailable", 421, "4.4.2",
                                        inst.unavailable_text);
                return mailfw::verdict(v, MAILFW_DENYSOFT_DISCONNECT, 421, "4.4.2", inst.unavailable_text);
            }
            const std::string address(mailfw::view(host.session_info(session).remote_address));
            if (mailfw::in_any_range(inst.exempt, address) || !later) return MAILFW_CONTINUE;
            const std::string source =
                mailfw::source_network(address, static_cast<unsigned>(inst.ipv6_prefix)).value_or(address);
            counts[0] = {kAll, inst.max_all, &inst.all_text, "ConnectionCountExceeded"};
            counts[1] = {"source:" + source, inst.max_source, &source_text, "ConnectionCountPerSource"};
            source_text = "Too many connections from " + source + " (limit " + std::to_string(inst.max_source) +
                          "), closing connection";
            pending = later;
            for (Count& c : counts) {
                // Counted as soon as asked: given back at the end even if the answer never comes.
                c.asked = host.counter_update_async(session, c.key, 1, 0, &Connection::answered, &c) == MAILFW_OK;
                if (c.asked) {
                    c.owner = this;
                    ++waiting;
                }
            }
            if (waiting == 0) {
                pending = nullptr;
                return MAILFW_CONTINUE;  // the counter service is down: fail open
            }
            return MAILFW_PENDING;
        }

        struct Count {
            std::string key;
            int64_t max = 0;
            const std::string* text = nullptr;
            const char* event = nullptr;
            Connection* owner = nullptr;
            bool asked = false, failed = false;
        };

        static void answered(void* user_data, int status, int64_t value) {
            auto& count = *static_cast<Count*>(user_data);
            Connection& c = *count.owner;
            if (status != MAILFW_OK)
                count.failed = true;  // not counted: nothing to give back
            else if (!c.refusal && value > count.max)
                c.refusal = &count;
            if (--c.waiting > 0 || !c.pending) return;
            mailfw_completion* later = c.pending;
            c.pending = nullptr;
            if (!c.refusal) {
                c.inst.host().complete_event(later, MAILFW_CONTINUE);
                return;
            }
            mailfw::limits::log_hit(c.inst.host(), c.session, c.refusal->event, 421, "4.3.2", *c.refusal->text);
            c.inst.host().complete_event(later, MAILFW_DENYSOFT_DISCONNECT, 421, "4.3.2", *c.refusal->text);
        }

        Instance& inst;
        mailfw_session* session;
        std::string source_text;
        Count counts[2];  // all sessions, this source
        mailfw_completion* pending = nullptr;
        size_t waiting = 0;
        const Count* refusal = nullptr;
    };

    const int64_t max_all, max_source, ipv6_prefix;
    const std::vector<mailfw::IpRange> exempt;
    const std::string all_text, unavailable_text;
};

constexpr mailfw_event_handler events = mailfw::event_handler_table<Instance>(MAILFW_HOOK_BIT(MAILFW_HOOK_CONNECT));

constexpr mailfw_plugin descriptor = mailfw::event_plugin<Instance>(
    "limit-connections", "1.0.0",
    "ConnectionCountExceeded, ConnectionCountPerSource: 421 4.3.2; NewConnectionNotAvailable: 421 4.4.2", keys, events);

}  // namespace

MAILFW_PLUGIN(descriptor)
