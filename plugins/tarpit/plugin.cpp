// tarpit: MS-OXSMTP Tarpit. Every error reply (4xx, 5xx) to an
// unauthenticated client is held back `interval` before it is sent, and a
// client that got one is held that long again before the greeting of its
// next connection within `remember`. A guesser or a dictionary attack pays
// time for each try; honest clients rarely see an error, and authenticated
// ones never wait. A 421 is not held: the session is ending anyway.
// Holding costs no thread: the host waits on a timer (the verdict's delay,
// or a PENDING answer to the greeting while the memory is looked up in the
// host's counter service, asynchronously so a shared backend fits).
#include <mailfw/plugin.hpp>

#include <stdexcept>
#include <string>

#include "limit_support.hpp"

namespace {

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("interval", MAILFW_KEY_DURATION, "5s",
                       "Tarpit: how long each error reply to an unauthenticated client is held back"),
    mailfw::config_key("remember", MAILFW_KEY_DURATION, "10m",
                       "a client that got an error is held `interval` at the greeting of its connections this long"),
};

constexpr unsigned kIpv6Prefix = 64;

void ignore_answer(void*, int, int64_t) {}

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h)
        : PluginInstance(h),
          interval_ms(static_cast<uint64_t>(h.config_number("interval").value_or(5000))),
          remember_ms(static_cast<uint64_t>(h.config_number("remember").value_or(600000))) {
        if (interval_ms == 0) throw std::runtime_error("interval in [tarpit] must be more than 0; use e.g. 5s");
        if (interval_ms > 10 * 60 * 1000)
            throw std::runtime_error("interval in [tarpit] is over 10m; clients give up long before, use e.g. 5s");
    }

    struct Connection {
        Connection(Instance& i, mailfw_session* s) : inst(i), session(s) {
            const auto info = inst.host().session_info(s);
            key = "ip:" + mailfw::source_network(mailfw::view(info.remote_address), kIpv6Prefix)
                              .value_or(std::string(mailfw::view(info.remote_address)));
        }

        int on_event(const mailfw_event& e, mailfw_verdict& v, mailfw_completion* later) {
            const auto& host = inst.host();
            const uint32_t delay = static_cast<uint32_t>(inst.interval_ms);
            if (!greeted) {  // the first reply is the greeting (220, or a refusal at connect)
                greeted = true;
                if (e.code < 400 && later && inst.remember_ms &&
                    host.rate_update_async(session, key, inst.remember_ms, 0, &Connection::remembered, this) ==
                        MAILFW_OK) {
                    pending = later;
                    return MAILFW_PENDING;
                }
            }
            if (e.code < 400 || e.code == 421 || !mailfw::limits::auth_user(host, session).empty())
                return MAILFW_CONTINUE;
            if (inst.remember_ms)
                host.rate_update_async(session, key, inst.remember_ms, 1, &ignore_answer, nullptr);
            host.log(MAILFW_LOG_INFO,
                     "Tarpit: " + std::to_string(e.code) + " held " + mailfw::limits::duration_text(inst.interval_ms),
                     session);
            return mailfw::verdict(v, MAILFW_CONTINUE, 0, {}, {}, delay);
        }

        static void remembered(void* self, int status, int64_t errors) {
            auto* c = static_cast<Connection*>(self);
            mailfw_completion* later = c->pending;
            c->pending = nullptr;
            if (!later) return;
            if (status != MAILFW_OK || errors <= 0) {
                c->inst.host().complete_event(later, MAILFW_CONTINUE);
                return;
            }
            c->inst.host().log(MAILFW_LOG_INFO,
                               "Tarpit: greeting held " + mailfw::limits::duration_text(c->inst.interval_ms) +
                                   " (an error reply to this client within " +
                                   mailfw::limits::duration_text(c->inst.remember_ms) + ")",
                               c->session);
            c->inst.host().complete_event(later, MAILFW_CONTINUE, 0, {}, {}, static_cast<uint32_t>(c->inst.interval_ms));
        }

        Instance& inst;
        mailfw_session* session;
        std::string key;
        bool greeted = false;
        mailfw_completion* pending = nullptr;
    };

    const uint64_t interval_ms, remember_ms;
};

constexpr mailfw_event_handler events = mailfw::event_handler_table<Instance>(MAILFW_HOOK_BIT(MAILFW_HOOK_REPLY));

constexpr mailfw_plugin descriptor = mailfw::event_plugin<Instance>(
    "tarpit", "1.0.0", "Tarpit: error replies to unauthenticated clients held back", keys, events);

}  // namespace

MAILFW_PLUGIN(descriptor)
