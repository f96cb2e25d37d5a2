// limit-timers: MS-OXSMTP's two session timers (3.2.2, 3.2.6, 3.2.7).
//   ConnectionTimeOut           the ConnectionTimer runs from connect,
//                               whatever the client does: 5 min on a gateway
//                               listener, 10 min on a relay listener
//   ConnectionInactivityTimeOut no progress for inactivity_timeout: no
//                               command, AUTH response, line of message text
//                               or 1000 octets of a BDAT chunk
// Both answer 421 4.4.2 and close. The inactivity timer is the host's
// (inactivity_timer_start): it restarts on every command and every line of
// message text, never on single bytes, and costs nothing while it waits.
#include <mailfw/plugin.hpp>

#include <stdexcept>
#include <string>

#include "limit_support.hpp"

namespace {

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("connection_timeout", MAILFW_KEY_DURATION, nullptr,
                       "ConnectionTimeOut: the longest a session may last from connect (default 5m on a gateway "
                       "listener, 10m on a relay listener, as MS-OXSMTP 3.2.7 says)"),
    mailfw::config_key("inactivity_timeout", MAILFW_KEY_DURATION, "5m",
                       "ConnectionInactivityTimeOut: close a session that makes no progress for this long (no command, "
                       "AUTH response, line of message text or 1000 octets of BDAT data)"),
};

constexpr uint64_t kGatewayConnectionMs = 5 * 60 * 1000;
constexpr uint64_t kRelayConnectionMs = 10 * 60 * 1000;

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h) : PluginInstance(h) {
        if (auto v = h.config_number("connection_timeout")) connection_ms = static_cast<uint64_t>(*v);
        inactivity_ms = static_cast<uint64_t>(h.config_number("inactivity_timeout").value_or(300000));
        const uint64_t cap = h.server_info().max_idle_ms;
        if (inactivity_ms == 0 || (connection_ms && *connection_ms == 0))
            throw std::runtime_error("[limit-timers] timeouts must be more than 0; use e.g. 5m");
        if (cap && inactivity_ms > cap)
            throw std::runtime_error("inactivity_timeout in [limit-timers] is above the core's idle cap of " +
                                     mailfw::limits::duration_text(cap) + "; lower it");
    }

    struct Connection {
        Connection(Instance& i, mailfw_session* s) : inst(i), session(s) {
            const auto& host = inst.host();
            const bool relay = host.session_info(s).role == MAILFW_ROLE_RELAY;
            const uint64_t conn_ms = inst.connection_ms.value_or(relay ? kRelayConnectionMs : kGatewayConnectionMs);
            connection_text = "Connection timeout (limit " + mailfw::limits::duration_text(conn_ms) +
                              "), closing connection";
            inactivity_text = "Timeout waiting for client input (limit " +
                              mailfw::limits::duration_text(inst.inactivity_ms) + "), closing connection";
            host.log(MAILFW_LOG_DEBUG,
                     "ConnectionTimer " + mailfw::limits::duration_text(conn_ms) + ", ConnectionInactivityTimer " +
                         mailfw::limits::duration_text(inst.inactivity_ms),
                     s);
            connection_timer = host.timer_start(s, conn_ms, &Connection::connection_expired, this);
            inactivity_timer = host.inactivity_timer_start(s, inst.inactivity_ms, &Connection::inactive, this);
            if (!connection_timer || !inactivity_timer) {  // an older host: nothing may fire on a dead object
                host.timer_cancel(s, connection_timer);
                host.timer_cancel(s, inactivity_timer);
                throw std::runtime_error("the host has no inactivity timers");  // this connection's events pass
            }
        }
        ~Connection() {
            inst.host().timer_cancel(session, connection_timer);
            inst.host().timer_cancel(session, inactivity_timer);
        }
        int on_event(const mailfw_event&, mailfw_verdict&, mailfw_completion*) { return MAILFW_CONTINUE; }

        void expire(const char* event, const std::string& text) {
            mailfw::limits::log_hit(inst.host(), session, event, 421, "4.4.2", text);
            inst.host().session_close(session, MAILFW_DENYSOFT_DISCONNECT, 421, "4.4.2", text);
        }
        static void connection_expired(void* self, uint64_t) {
            auto* c = static_cast<Connection*>(self);
            c->connection_timer = 0;
            c->expire("ConnectionTimeOut", c->connection_text);
        }
        static void inactive(void* self, uint64_t) {
            auto* c = static_cast<Connection*>(self);
            c->inactivity_timer = 0;
            c->expire("ConnectionInactivityTimeOut", c->inactivity_text);
        }

        Instance& inst;
        mailfw_session* session;
        std::string connection_text, inactivity_text;
        uint64_t connection_timer = 0, inactivity_timer = 0;
    };

    std::optional<uint64_t> connection_ms;  // unset: by the listener's role
    uint64_t inactivity_ms = 0;
};

// No hook: the timers start with the connection and end with it.
constexpr mailfw_event_handler events = mailfw::event_handler_table<Instance>(0);

constexpr mailfw_plugin descriptor = mailfw::event_plugin<Instance>(
    "limit-timers", "1.0.0", "ConnectionTimeOut and ConnectionInactivityTimeOut: 421 4.4.2", keys, events);

}  // namespace

MAILFW_PLUGIN(descriptor)
