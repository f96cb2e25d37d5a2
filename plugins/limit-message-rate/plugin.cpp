// limit-message-rate: MS-OXSMTP MessageRateLimitExceeded. Each MAIL FROM is
// a message submitted; more than messages_per_minute of them within any 60
// seconds (a sliding window, the host's rate counter) from one source gets
// 421 4.4.2 and the session is closed. The source is the client's address
// (IPv6 by /64), the authenticated user, or both, each counted on its own.
// The counts live in the host's counter service, answered asynchronously:
// a shared backend (a cluster) replaces the local one without a change here.
#include <mailfw/plugin.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "limit_support.hpp"

namespace {

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("messages_per_minute", MAILFW_KEY_INT, "0",
                       "MessageRateLimitExceeded: messages one source may submit within any minute (0: unlimited)"),
    mailfw::config_key("source", MAILFW_KEY_STRING, "ip",
                       "what a source is: ip (the client's address, IPv6 by /64), user (the authenticated user; "
                       "unauthenticated sessions are not counted) or ip_and_user (both, each with the limit)"),
};

constexpr uint64_t kWindowMs = 60 * 1000;
constexpr unsigned kIpv6Prefix = 64;

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h) : PluginInstance(h), max(h.config_number("messages_per_minute").value_or(0)) {
        const std::string source = h.config_string("source").value_or("ip");
        if (source == "ip" || source == "ip_and_user") by_ip = true;
        if (source == "user" || source == "ip_and_user") by_user = true;
        if (!by_ip && !by_user)
            throw std::runtime_error("bad value '" + mailfw::printable(source, 40) +
                                     "' for 'source' in [limit-message-rate]: expected ip, user or ip_and_user");
        if (max < 0) throw std::runtime_error("messages_per_minute in [limit-message-rate] cannot be negative");
        text = "Message rate limit exceeded (limit " + std::to_string(max) + " per minute), closing connection";
    }

    struct Connection {
        Connection(Instance& i, mailfw_session* s) : inst(i), session(s) {}
        ~Connection() = default;  // an answer still out is dropped by the host with the session

        int on_event(const mailfw_event&, mailfw_verdict&, mailfw_completion* later) {
            if (inst.max == 0 || !later) return MAILFW_CONTINUE;
            const auto& host = inst.host();
            std::vector<std::string> sources;
            if (inst.by_ip) {
                const auto info = host.session_info(session);
                if (auto net = mailfw::source_network(mailfw::view(info.remote_address), kIpv6Prefix))
                    sources.push_back("ip:" + *net);
            }
            if (inst.by_user) {
                const std::string user = mailfw::limits::auth_user(host, session);
                if (!user.empty()) sources.push_back("user:" + user);
            }
            pending = later;
            over = false;
            waiting = sources.size();
            for (const auto& key : sources)
                if (host.rate_update_async(session, key, kWindowMs, 1, &Connection::answered, this) != MAILFW_OK)
                    --waiting;  // the counter service cannot take it: fail open
            if (waiting == 0) {
                pending = nullptr;
                return MAILFW_CONTINUE;
            }
            return MAILFW_PENDING;
        }

        static void answered(void* self, int status, int64_t count) {
            auto* c = static_cast<Connection*>(self);
            if (status == MAILFW_OK && count > c->inst.max) c->over = true;
            if (--c->waiting > 0 || !c->pending) return;
            mailfw_completion* later = c->pending;
            c->pending = nullptr;
            if (!c->over) {
                c->inst.host().complete_event(later, MAILFW_CONTINUE);
                return;
            }
            mailfw::limits::log_hit(c->inst.host(), c->session, "MessageRateLimitExceeded", 421, "4.4.2",
                                    c->inst.text);
            c->inst.host().complete_event(later, MAILFW_DENYSOFT_DISCONNECT, 421, "4.4.2", c->inst.text);
        }

        Instance& inst;
        mailfw_session* session;
        mailfw_completion* pending = nullptr;
        size_t waiting = 0;
        bool over = false;
    };

    const int64_t max;
    bool by_ip = false, by_user = false;
    std::string text;
};

constexpr mailfw_event_handler events = mailfw::event_handler_table<Instance>(MAILFW_HOOK_BIT(MAILFW_HOOK_MAIL));

constexpr mailfw_plugin descriptor = mailfw::event_plugin<Instance>(
    "limit-message-rate", "1.0.0", "MessageRateLimitExceeded: 421 4.4.2 at MAIL FROM", keys, events);

}  // namespace

MAILFW_PLUGIN(descriptor)
