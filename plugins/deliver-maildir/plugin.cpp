// deliver-maildir: reads [deliver-maildir], decides recipients at RCPT
// (local domains, known users, names a Maildir can hold) and turns
// MaildirWriter's outcome into delivery results and log lines.
#include "local_recipients.hpp"
#include "maildir_name.hpp"
#include "maildir_writer.hpp"

#include <mailfw/plugin.hpp>

#include <unistd.h>

#include <cstring>
#include <memory>
#include <stdexcept>

namespace {

using mailfw::deliver_maildir::DeferredSync;
using mailfw::deliver_maildir::Envelope;
using mailfw::deliver_maildir::Failure;
using mailfw::deliver_maildir::LocalDomains;
using mailfw::deliver_maildir::MaildirWriter;

// The Maildir convention: a file in tmp/ this old is left over from a crash.
constexpr int64_t kStaleTmpSeconds = 36 * 3600;

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
                 mailfw::deliver_maildir::local_hostname()),
          domains(mailfw::plugin_common::configured_domains(host(), "deliver-maildir")),
          require_known_user(host().config_number("require_known_user").value_or(0) != 0) {
        if (!configured_fsync(host()))
            host().log(MAILFW_LOG_WARNING,
                       "fsync = false: messages are acknowledged before they are "
                       "on disk and a power failure can lose them");
        if (const size_t n = writer.remove_stale_tmp(kStaleTmpSeconds))
            host().log(MAILFW_LOG_INFO, "removed " + std::to_string(n) +
                                            " file(s) older than 36 hours from tmp/ (left by an interrupted delivery)");
    }

    // RCPT time: nothing is created; a name that cannot be stored or a user
    // nobody knows is refused here, never at the end of DATA. Everything but
    // the store lookup of require_known_user is decided from memory, on the
    // network thread (claim_rcpt_inline); the lookup runs on the disk pool.
    mailfw::RcptAnswer claim_rcpt_inline(mailfw_session* session, std::string_view address) {
        return decide(session, address, false);
    }
    mailfw::RcptAnswer claim_rcpt(mailfw_session* session, std::string_view address) {
        return decide(session, address, true);
    }

    mailfw::RcptAnswer decide(mailfw_session* session, std::string_view address, bool may_block) {
        const std::string_view domain = mailfw::deliver_maildir::domain_of(address);
        // RFC 5321 §4.5.1: <postmaster> without a domain is always local.
        if (!domain.empty()) {
            const mailfw_session_info info = host().session_info(session);
            if (!domains.is_local(domain, mailfw::view(info.server_hostname))) return {MAILFW_RCPT_PASS};
        }
        const std::string mailbox = mailfw::deliver_maildir::mailbox_for(address);
        if (!mailfw::deliver_maildir::valid_mailbox(mailbox))
            return {MAILFW_RCPT_REFUSE, 550, "5.1.3", "Mailbox name not allowed"};
        if (!require_known_user) return {MAILFW_RCPT_CLAIM};
        if (!may_block) return {MAILFW_RCPT_UNDECIDED};
        for (const std::string& user : mailfw::deliver_maildir::user_candidates(mailbox)) {
            const int r = host().user_exists(session, user);
            if (r == MAILFW_OK) return {MAILFW_RCPT_CLAIM};
            if (r != MAILFW_NOT_FOUND)
                return {MAILFW_RCPT_TEMPFAIL, 451, "4.3.0", "Cannot look up the recipient now, try again later"};
        }
        return {MAILFW_RCPT_REFUSE, 550, "5.1.1", "No such user here"};
    }

    int deliver(const mailfw_message& m, mailfw::DeliveryResult& result, mailfw_completion* later) {
        std::vector<std::string> mailboxes;
        for (size_t i = 0; i < m.rcpt_count; ++i)
            mailboxes.push_back(mailfw::deliver_maildir::mailbox_for(mailfw::view(m.rcpts[i])));
        Envelope envelope{mailfw::view(m.mail_from), mailfw::view(m.trace),
                          std::string(mailfw::view(m.spool_path)), {}, std::nullopt};
        if (m.content.ptr) envelope.content = mailfw::view(m.content);
        for (const auto& box : mailboxes) envelope.mailboxes.push_back(box);

        const std::string id(mailfw::view(m.id));
        if (envelope.mailboxes.empty()) {
            host().log(MAILFW_LOG_ERROR, "message " + id + " has no recipients; refused", m.session);
            return fail(result, MAILFW_DELIVERY_PERMFAIL, 554, "5.5.1", "no recipients");
        }
        std::vector<std::string> written;
        // The syncs go to the host's group commit when it has one: this
        // thread is free again as soon as the copies are written.
        auto deferred = std::make_unique<DeferredSync>();
        const bool defer = writer.sync() && later && host().can_commit_durable();
        const auto failure = writer.deliver(envelope, &written, defer ? deferred.get() : nullptr);
        if (!failure) {
            host().log(MAILFW_LOG_DEBUG, "message " + id + " stored for " +
                                             std::to_string(envelope.mailboxes.size()) + " recipient(s)",
                       m.session);
            // The receipt lets discard() take these copies back.
            for (const auto& f : written) result.receipt += f + "\n";
            if (deferred->fds().empty()) return MAILFW_DELIVERY_DURABLE;
            return commit(std::move(deferred), std::move(written), id, std::move(result.receipt), later, result);
        }
        host().log(MAILFW_LOG_ERROR, "message " + id + " not delivered: " + failure->detail + "; nothing kept",
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

    // The copies are in new/; they become durable with the next group
    // commit, and only then does the client get its 250.
    int commit(std::unique_ptr<DeferredSync> deferred, std::vector<std::string> written, const std::string& id,
               std::string receipt, mailfw_completion* later, mailfw::DeliveryResult& result) {
        const std::shared_ptr<const DeferredSync> fds(std::move(deferred));
        // The descriptors stay open until the commit has answered.
        auto done = [this, fds, written, id, receipt, later](int error) {
            if (error) {
                take_back_after(id, written, "cannot write to maildir: " + errno_text(error));
                host().complete_delivery(later, MAILFW_DELIVERY_TEMPFAIL, 451, "4.3.0",
                                         "cannot write to maildir: " + errno_text(error));
                return;
            }
            if (host().complete_delivery(later, MAILFW_DELIVERY_DURABLE, 0, {}, {}, receipt) != MAILFW_OK)
                // Too late: the client was told 451 and will send it again.
                take_back_after(id, written, "the commit answered after the delivery's deadline");
        };
        if (host().commit_durable(fds->fds().data(), fds->fds().size(), std::move(done))) return MAILFW_PENDING;
        // The server is stopping: no more group commits, sync here.
        if (const int e = fds->sync_now()) {
            take_back_after(id, written, "cannot write to maildir: " + errno_text(e));
            return fail(result, MAILFW_DELIVERY_TEMPFAIL, 451, "4.3.0", "cannot write to maildir: " + errno_text(e));
        }
        result.receipt = std::move(receipt);
        return MAILFW_DELIVERY_DURABLE;
    }

    void take_back_after(const std::string& id, const std::vector<std::string>& written, const std::string& why) {
        std::string detail;
        writer.take_back(written, detail);
        host().log(MAILFW_LOG_ERROR, "message " + id + " not delivered: " + why + "; nothing kept" +
                                         (detail.empty() ? "" : " (" + detail + ")"));
    }

    int discard(const mailfw_message& m, std::string_view receipt) {
        std::vector<std::string> files;
        for (size_t start = 0; start < receipt.size();) {
            size_t nl = receipt.find('\n', start);
            if (nl == std::string_view::npos) nl = receipt.size();
            if (nl > start) files.emplace_back(receipt.substr(start, nl - start));
            start = nl + 1;
        }
        std::string detail;
        const int e = writer.take_back(files, detail);
        const std::string id(mailfw::view(m.id));
        if (e) {
            host().log(MAILFW_LOG_ERROR, "message " + id + ": could not take back every copy: " + detail, m.session);
            return MAILFW_UNAVAILABLE;
        }
        host().log(MAILFW_LOG_INFO, "message " + id + ": " + std::to_string(files.size()) +
                                        " copy(ies) taken back (another delivery failed)",
                   m.session);
        return MAILFW_OK;
    }

    static int fail(mailfw::DeliveryResult& r, int status, uint32_t code, const char* enhanced,
                    std::string_view text) {
        r.code = code;
        r.enhanced = enhanced;
        r.text = text.empty() ? std::string("mailbox delivery failed") : std::string(text);
        return status;
    }

    MaildirWriter writer;
    LocalDomains domains;
    bool require_known_user;
};

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("root", MAILFW_KEY_PATH, nullptr,
                       "directory holding one Maildir per recipient (root/<address>/{tmp,new,cur}); "
                       "created 0700 when missing",
                       MAILFW_KEY_REQUIRED),
    mailfw::config_key("fsync", MAILFW_KEY_BOOL, "true",
                       "fsync each message and its directories before 250; false is faster but a "
                       "power failure can lose accepted mail"),
    mailfw::config_key("domains", MAILFW_KEY_STRING, nullptr,
                       "a local domain whose recipients are stored here (case-insensitive); may repeat; "
                       "* for every domain; default: the server's hostname and localhost",
                       MAILFW_KEY_MULTI),
    mailfw::config_key("require_known_user", MAILFW_KEY_BOOL, "false",
                       "accept only recipients a credential store knows (the address, or its local part); "
                       "others get 550 5.1.1 at RCPT"),
};

constexpr mailfw_delivery delivery = mailfw::delivery_table<Instance>(
    // deliver() copies the message (from memory when the host has it there)
    // into every mailbox before it returns.
    MAILFW_DELIVERY_BLOCKING | MAILFW_DELIVERY_SPOOL_COPIED | MAILFW_DELIVERY_READS_CONTENT);

constexpr mailfw_plugin make_descriptor() {
    mailfw_plugin p = mailfw::plugin_descriptor<Instance>(
        "deliver-maildir", "1.1.0", "stores each message in one Maildir per local recipient", keys,
        sizeof keys / sizeof keys[0]);
    p.delivery = &delivery;
    return p;
}

constexpr mailfw_plugin descriptor = make_descriptor();

}  // namespace

MAILFW_PLUGIN(descriptor)
