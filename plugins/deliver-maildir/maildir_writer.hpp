// All-or-nothing delivery of one message into one Maildir per recipient:
// <root>/<recipient>/{tmp,new,cur}. Each copy is written to tmp/ (as an
// unnamed O_TMPFILE where the filesystem has them), fsync'd,
// linked into new/ and the directories fsync'd before deliver() reports
// success; when any copy fails, every copy already made for this message is
// removed again, so a message is either in all mailboxes or in none.
#ifndef MAILFW_DELIVER_MAILDIR_MAILDIR_WRITER_HPP
#define MAILFW_DELIVER_MAILDIR_MAILDIR_WRITER_HPP

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace mailfw::deliver_maildir {

struct Envelope {
    std::string_view mail_from;             // reverse-path without <>
    std::string_view trace;                 // Received: header, CRLF included
    std::string spool_path;                 // the message exactly as received
    std::vector<std::string_view> mailboxes;
    std::optional<std::string_view> content;  // the spool's bytes, when the host has them in memory
};

struct Failure {
    enum class Kind {
        BadMailbox,  // a recipient cannot be a mailbox name (permanent)
        BadSender,   // the reverse-path cannot go into Return-Path (permanent)
        Io           // the disk said no (temporary)
    };
    Kind kind;
    std::string reason;  // short, for the reply: "cannot write to maildir: <strerror>"
    std::string detail;  // for the log: paths, and anything rollback could not remove
};

// 0 or an errno: mkdir -p with mode 0700, fsync'ing the parents of new
// directories when `sync`.
int make_directories(const std::string& path, bool sync);

// The syncs deliver() left to a group commit (mailfw_host_api
// .commit_durable): each copy's file and the new/ it was linked into, open
// until the commit has answered. Closes them when it dies.
class DeferredSync {
public:
    DeferredSync() = default;
    ~DeferredSync();
    DeferredSync(const DeferredSync&) = delete;
    DeferredSync& operator=(const DeferredSync&) = delete;
    void add(int fd) { fds_.push_back(fd); }
    const std::vector<int>& fds() const noexcept { return fds_; }
    // Without a group commit: fsync them here. 0 or the first errno.
    int sync_now() const;

private:
    std::vector<int> fds_;
};

// Maildirs known to exist (with tmp/, new/ and cur/), so that a delivery
// to one does not mkdir four directories every time: each mkdir of an
// existing directory still takes its parent's lock, and with many sessions
// delivering to one mailbox those locks were a queue. A Maildir removed
// while the server runs is noticed (ENOENT) and made again. Thread-safe;
// forgets everything past `kMax` entries.
class KnownMaildirs {
public:
    bool contains(const std::string& box) const;
    void add(const std::string& box);
    void forget(const std::string& box);

private:
    static constexpr size_t kMax = 10000;
    mutable std::mutex mutex_;
    std::unordered_set<std::string> boxes_;
};

class MaildirWriter {
public:
    // `escaped_host` as from local_hostname(); `sync` false skips every
    // fsync (faster; a power failure can then lose delivered mail).
    MaildirWriter(std::string root, bool sync, std::string escaped_host);

    // nullopt when every mailbox has its copy durably in new/; `written`
    // (when given) gets the path of each copy. With `deferred` (and sync
    // on), the copies are in new/ but not yet durable: the file and
    // directory syncs are left in `deferred`, for the caller to commit
    // before it reports the message durable. Safe to call from many threads
    // at once.
    std::optional<Failure> deliver(const Envelope& envelope, std::vector<std::string>* written = nullptr,
                                   DeferredSync* deferred = nullptr) const;

    // Removes copies deliver() wrote (another delivery of the same message
    // failed). Only files in a new/ below the root are touched. 0, or an
    // errno with what went wrong in `detail`.
    int take_back(const std::vector<std::string>& files, std::string& detail) const;

    // Removes files in <root>/*/tmp/ last modified more than `max_age_s`
    // seconds ago: what a crash left mid-delivery (the Maildir convention
    // says 36 hours). Returns how many were removed.
    size_t remove_stale_tmp(int64_t max_age_s) const;

    const std::string& root() const noexcept { return root_; }
    bool sync() const noexcept { return sync_; }

private:
    std::string root_;
    bool sync_;
    std::string host_;
    mutable KnownMaildirs known_;
};

}  // namespace mailfw::deliver_maildir

#endif
