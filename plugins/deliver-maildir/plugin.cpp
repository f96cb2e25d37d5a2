// deliver-maildir: reads [deliver-maildir] and turns MaildirWriter's outcome
// into delivery results and log lines.
#include "maildir_name.hpp"
#include "maildir_writer.hpp"
#include "text_pool.hpp"

#include <mailfw/plugin.hpp>

#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace {

using mailfw::deliver_maildir::Envelope;
using mailfw::deliver_maildir::Failure;
using mailfw::deliver_maildir::MaildirWriter;
using mailfw::deliver_maildir::TextPool;

std::string errno_text(int e) {
    char buf[256];
    return strerror_r(e, buf, sizeof buf);
}

// The root exists and is writable before the first message arrives, so a
// wrong path stops start-up instead of tempfailing every message.
std::string configured_root(const mailfw::Host& host, bool sync) {
    auto root = host.config_string("root");
    if (!root || root->empty())
        throw std::runtime_error("deliver-maildir: `root =` is missing in [deliver-maildir]; set it "
                                 "to the directory that holds one Maildir per recipient");
    if (const int e = mailfw::deliver_maildir::make_directories(*root, sync))
        throw std::runtime_error("deliver-maildir: cannot create " + *root + ": " + errno_text(e) +
                                 "; check `root =` in [deliver-maildir] and the parent directory's "
                                 "permissions");
    if (::access(root->c_str(), W_OK | X_OK) != 0)
        throw std::runtime_error("deliver-maildir: cannot write to " + *root + ": " +
                                 errno_text(errno) + "; check `root =` in [deliver-maildir] and the "
                                 "directory's owner and permissions");
    return *root;
}

bool configured_fsync(const mailfw::Host& host) { return host.config_number("fsync").value_or(1) != 0; }

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h)
        : PluginInstance(h),
          writer(configured_root(host(), configured_fsync(host())), configured_fsync(host()),
                 mailfw::deliver_maildir::local_hostname()) {
        if (!configured_fsync(host()))
            host().log(MAILFW_LOG_WARNING,
                       "fsync = false: messages are acknowledged before they are "
                       "on disk and a power failure can lose them");
    }

    int deliver(const mailfw_message& m, mailfw_delivery_result& result) {
        Envelope envelope{mailfw::view(m.mail_from), mailfw::view(m.trace),
                          std::string(mailfw::view(m.spool_path)), {}};
        envelope.mailboxes.reserve(m.rcpt_count);
        for (size_t i = 0; i < m.rcpt_count; ++i) envelope.mailboxes.push_back(mailfw::view(m.rcpts[i]));

        const std::string_view id = mailfw::view(m.id);
        if (envelope.mailboxes.empty()) {
            host().log(MAILFW_LOG_ERROR, "message " + std::string(id) +
                                             " has no recipients; refused", m.session);
            return fail(result, MAILFW_DELIVERY_PERMFAIL, 554, "5.5.1", "no recipients");
        }
        const auto failure = writer.deliver(envelope);
        if (!failure) {
            host().log(MAILFW_LOG_DEBUG, "message " + std::string(id) + " stored for " +
                                             std::to_string(envelope.mailboxes.size()) + " recipient(s)",
                       m.session);
            return MAILFW_DELIVERY_DURABLE;
        }
        host().log(MAILFW_LOG_ERROR, "message " + std::string(id) +
                                         " not delivered: " + failure->detail + "; nothing kept",
                   m.session);
        switch (failure->kind) {
            case Failure::Kind::BadMailbox:
                return fail(result, MAILFW_DELIVERY_PERMFAIL, 550, "5.1.3", failure->reason);
            case Failure::Kind::BadSender:
                return fail(result, MAILFW_DELIVERY_PERMFAIL, 550, "5.1.7", failure->reason);
            case Failure::Kind::Io:
                break;
        }
        return fail(result, MAILFW_DELIVERY_TEMPFAIL, 451, "4.3.0", failure->reason);
    }

    // Texts handed to the host must outlive this call: literals or interned.
    int fail(mailfw_delivery_result& r, int status, uint32_t code, const char* enhanced,
             std::string_view text) {
        r.code = code;
        r.enhanced = mailfw::str(enhanced);
        r.text = mailfw::str(texts.intern(text, "mailbox delivery failed"));
        return status;
    }

    MaildirWriter writer;
    TextPool texts;
};

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("root", MAILFW_KEY_PATH, nullptr,
                       "directory holding one Maildir per recipient (root/<address>/{tmp,new,cur}); "
                       "created 0700 when missing",
                       MAILFW_KEY_REQUIRED),
    mailfw::config_key("fsync", MAILFW_KEY_BOOL, "true",
                       "fsync each message and its directories before 250; false is faster but a "
                       "power failure can lose accepted mail"),
};

constexpr mailfw_delivery delivery = mailfw::delivery_table<Instance>(MAILFW_DELIVERY_BLOCKING);

constexpr mailfw_plugin make_descriptor() {
    mailfw_plugin p = mailfw::plugin_descriptor<Instance>(
        "deliver-maildir", "1.0.0", "stores each message in one Maildir per recipient", keys,
        sizeof keys / sizeof keys[0]);
    p.delivery = &delivery;
    return p;
}

constexpr mailfw_plugin descriptor = make_descriptor();

}  // namespace

MAILFW_PLUGIN(descriptor)
