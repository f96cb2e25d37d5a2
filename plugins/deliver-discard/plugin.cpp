// deliver-discard: a delivery that takes its recipients, logs each message
// and stores nothing -- Postfix's discard(8). For sinks (a honeypot, a
// test relay) and for benchmarks that mean the session path, not the disk:
// the message still goes through the whole core (spool, DATA_END, the same
// 250), only the delivery's work is nothing. Answers on the network thread
// (not BLOCKING): there is nothing to wait for.
#include <mailfw/plugin.hpp>

#include <string>

#include "local_domains.hpp"

namespace {

using mailfw::plugin_common::LocalDomains;

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h)
        : PluginInstance(h),
          domains(mailfw::plugin_common::configured_domains(host(), "deliver-discard")),
          log_messages(host().config_number("log").value_or(1) != 0) {
        host().log(MAILFW_LOG_WARNING, "messages to its recipients are discarded: accepted and never stored");
    }

    mailfw::RcptAnswer claim_rcpt(mailfw_session* session, std::string_view address) {
        const std::string_view domain = mailfw::plugin_common::domain_of(address);
        if (!domain.empty()) {
            const mailfw_session_info info = host().session_info(session);
            if (!domains.is_local(domain, mailfw::view(info.server_hostname))) return {MAILFW_RCPT_PASS};
        }
        return {MAILFW_RCPT_CLAIM};
    }

    int deliver(const mailfw_message& m, mailfw::DeliveryResult& result) {
        if (m.rcpt_count == 0) {
            result = {554, "5.5.1", "no recipients", {}};
            return MAILFW_DELIVERY_PERMFAIL;
        }
        if (log_messages)
            host().log(MAILFW_LOG_INFO,
                       "message " + std::string(mailfw::view(m.id)) + " discarded (" + std::to_string(m.size) +
                           " bytes, " + std::to_string(m.rcpt_count) + " recipient(s))",
                       m.session);
        return MAILFW_DELIVERY_ACCEPTED;
    }

    // Nothing was kept, so nothing is taken back.
    int discard(const mailfw_message&, std::string_view) { return MAILFW_OK; }

    LocalDomains domains;
    bool log_messages;
};

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("domains", MAILFW_KEY_STRING, nullptr,
                       "a domain whose recipients are discarded (case-insensitive); may repeat; * for every domain; "
                       "default: the server's hostname and localhost",
                       MAILFW_KEY_MULTI),
    mailfw::config_key("log", MAILFW_KEY_BOOL, "true", "log one line per discarded message"),
};

// It never reads the spool file at all, so the core need not write it.
constexpr mailfw_delivery delivery =
    mailfw::delivery_table<Instance>(MAILFW_DELIVERY_SPOOL_COPIED | MAILFW_DELIVERY_SPOOL_UNREAD);

constexpr mailfw_plugin make_descriptor() {
    mailfw_plugin p = mailfw::plugin_descriptor<Instance>(
        "deliver-discard", "1.0.0", "accepts messages for its recipients, logs them and stores nothing (discard(8))",
        keys, sizeof keys / sizeof keys[0]);
    p.delivery = &delivery;
    return p;
}

constexpr mailfw_plugin descriptor = make_descriptor();

}  // namespace

MAILFW_PLUGIN(descriptor)
