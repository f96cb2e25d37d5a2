#include "maildir_writer.hpp"

#include "maildir_name.hpp"

#include <mailfw/plugin.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <set>
#include <utility>

namespace mailfw::deliver_maildir {

namespace {

constexpr size_t chunk_size = 64 * 1024;  // never the whole message in memory

std::string errno_text(int e) {
    char buf[256];
    return strerror_r(e, buf, sizeof buf);  // the GNU variant returns the text
}


// Closes a descriptor however the scope is left.
struct Fd {
    int fd = -1;
    explicit Fd(int f) noexcept : fd(f) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int release() noexcept { return std::exchange(fd, -1); }
};

// 0 or errno.
int fsync_directory(const std::string& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.fd < 0) return errno;
    return ::fsync(fd.fd) == 0 ? 0 : errno;
}

int write_all(int fd, const char* p, size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
    return 0;
}

// 0 or errno: `a` then `b`, in one system call when the kernel takes both.
int write_both(int fd, std::string_view a, std::string_view b) {
    iovec parts[2] = {{const_cast<char*>(a.data()), a.size()}, {const_cast<char*>(b.data()), b.size()}};
    ssize_t w;
    do w = ::writev(fd, parts, 2);
    while (w < 0 && errno == EINTR);
    if (w < 0) return errno;
    const size_t done = static_cast<size_t>(w);
    if (done < a.size()) {
        if (const int e = write_all(fd, a.data() + done, a.size() - done)) return e;
        return write_all(fd, b.data(), b.size());
    }
    return write_all(fd, b.data() + (done - a.size()), b.size() - (done - a.size()));
}

// 0 or errno: mkdir that accepts an existing entry; `created` tells which.
int make_directory(const std::string& path, bool& created) {
    created = ::mkdir(path.c_str(), 0700) == 0;
    return created || errno == EEXIST ? 0 : errno;
}

std::string parent_of(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

// One copy of the message in one mailbox, as far as it got.
struct Copy {
    std::string box;   // <root>/<mailbox>
    std::string name;  // unique file name
    bool in_tmp = false;
    bool in_new = false;
    std::string tmp_path() const { return box + "/tmp/" + name; }
    std::string new_path() const { return box + "/new/" + name; }
};

// Writes the copies of one message and takes them all back on failure.
class Delivery {
public:
    Delivery(const std::string& root, bool sync, const std::string& host, const Envelope& env,
             DeferredSync* deferred, KnownMaildirs& known)
        : root_(root), sync_(sync), host_(host), env_(env), deferred_(sync ? deferred : nullptr), known_(known) {}

    std::optional<Failure> run() {
        // The host's copy in memory when it has one, else the spool file.
        Fd spool(-1);
        if (!env_.content) {
            spool.fd = ::open(env_.spool_path.c_str(), O_RDONLY | O_CLOEXEC);
            if (spool.fd < 0) return io_failure("cannot read the spool file", env_.spool_path, errno);
            buffer_ = std::make_unique<char[]>(chunk_size);
        }

        // One copy per distinct mailbox: a repeated RCPT is one delivery.
        std::set<std::string_view> seen;
        for (const std::string_view mailbox : env_.mailboxes) {
            if (!seen.insert(mailbox).second) continue;
            copies_.push_back(Copy{root_ + "/" + std::string(mailbox), {}, false, false});
            if (auto failure = write_copy(copies_.back(), spool.fd)) {
                rollback(*failure);
                return failure;
            }
        }
        return std::nullopt;
    }

    std::vector<std::string> written() const {
        std::vector<std::string> out;
        for (const Copy& c : copies_) out.push_back(c.new_path());
        return out;
    }

private:
    std::optional<Failure> write_copy(Copy& copy, int spool_fd) {
        const bool known = known_.contains(copy.box);
        if (!known) {
            if (const auto failure = prepare_maildir(copy.box)) return failure;
            known_.add(copy.box);
        }
        copy.name = next_unique_name(host_);

        // An unnamed file in tmp/ (O_TMPFILE), linked into new/ when
        // complete: the Maildir promise (new/ holds only whole messages)
        // with one directory entry per message instead of three (create in
        // tmp/, link into new/, unlink from tmp/) -- fewer locks on the
        // directories every delivery thread shares, and a crash leaves no
        // file behind. Where the filesystem has no O_TMPFILE, a named one.
        const std::string tmp_dir = copy.box + "/tmp";
        Fd out(::open(tmp_dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
        if (out.fd < 0 && errno == ENOENT && known) {
            // Removed while we ran: make it again, once.
            known_.forget(copy.box);
            if (const auto failure = prepare_maildir(copy.box)) return failure;
            known_.add(copy.box);
            out.fd = ::open(tmp_dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
        }
        const bool unnamed = out.fd >= 0;
        const std::string tmp = copy.tmp_path();
        if (!unnamed && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
            out.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (out.fd < 0) return io_failure("cannot write to maildir", unnamed ? tmp_dir : tmp, errno);
        copy.in_tmp = !unnamed;

        std::string head = "Return-Path: <";
        head += env_.mail_from;
        head += ">\r\n";
        head += env_.trace;
        if (env_.content) {
            if (const int e = write_both(out.fd, head, *env_.content))
                return io_failure("cannot write to maildir", tmp, e);
        } else {
            if (const int e = write_all(out.fd, head.data(), head.size()))
                return io_failure("cannot write to maildir", tmp, e);
            if (auto failure = copy_spool(spool_fd, out.fd, tmp)) return failure;
        }
        if (!deferred_ && sync_ && ::fsync(out.fd) != 0) return io_failure("cannot write to maildir", tmp, errno);

        const std::string fin = copy.new_path();
        if (const int e = link_into_new(out.fd, unnamed, tmp, fin)) {
            known_.forget(copy.box);  // new/ may be gone: the next delivery checks again
            return io_failure("cannot write to maildir", fin, e);
        }
        copy.in_new = true;
        if (!unnamed) {
            if (::unlink(tmp.c_str()) != 0) return io_failure("cannot write to maildir", tmp, errno);
            copy.in_tmp = false;
        }
        if (deferred_) {
            // The commit's fsync of this descriptor reports what close() would.
            deferred_->add(out.release());
            // Only new/ matters for the message; a tmp/ entry a crash brings
            // back is removed as stale after 36 hours.
            const std::string dir = copy.box + "/new";
            const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0) return io_failure("cannot write to maildir", dir, errno);
            deferred_->add(fd);
        } else {
            // close() can report a delayed write error (NFS, quotas).
            if (::close(out.release()) != 0) return io_failure("cannot write to maildir", fin, errno);
            if (sync_) {
                if (const int e = fsync_directory(copy.box + "/new"))
                    return io_failure("cannot write to maildir", copy.box + "/new", e);
                if (!unnamed)
                    if (const int e = fsync_directory(copy.box + "/tmp"))
                        return io_failure("cannot write to maildir", copy.box + "/tmp", e);
            }
        }
        return std::nullopt;
    }

    // 0 or errno: the written file gets its name in new/. An unnamed one
    // through /proc/self/fd (linkat's AT_EMPTY_PATH needs a capability the
    // server may not have), else through the descriptor itself.
    static int link_into_new(int fd, bool unnamed, const std::string& tmp, const std::string& fin) {
        if (!unnamed) return ::link(tmp.c_str(), fin.c_str()) == 0 ? 0 : errno;
        const std::string self = "/proc/self/fd/" + std::to_string(fd);
        if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, fin.c_str(), AT_SYMLINK_FOLLOW) == 0) return 0;
        const int e = errno;
        if (e != ENOENT || ::access("/proc/self/fd", F_OK) == 0) return e;
        return ::linkat(fd, "", AT_FDCWD, fin.c_str(), AT_EMPTY_PATH) == 0 ? 0 : errno;
    }

    // pread: the spool is read from its start for every copy.
    std::optional<Failure> copy_spool(int spool_fd, int out_fd, const std::string& tmp) {
        off_t offset = 0;
        for (;;) {
            const ssize_t r = ::pread(spool_fd, buffer_.get(), chunk_size, offset);
            if (r < 0) {
                if (errno == EINTR) continue;
                return io_failure("cannot read the spool file", env_.spool_path, errno);
            }
            if (r == 0) return std::nullopt;
            if (const int e = write_all(out_fd, buffer_.get(), static_cast<size_t>(r)))
                return io_failure("cannot write to maildir", tmp, e);
            offset += r;
        }
    }

    // <box>, <box>/tmp, <box>/new, <box>/cur; new entries made durable.
    std::optional<Failure> prepare_maildir(const std::string& box) {
        bool created = false;
        if (const int e = make_directory(box, created))
            return io_failure("cannot create maildir", box, e);
        if (created && sync_)
            if (const int e = fsync_directory(root_)) return io_failure("cannot create maildir", root_, e);
        bool any = false;
        for (const char* sub : {"/tmp", "/new", "/cur"}) {
            const std::string dir = box + sub;
            if (const int e = make_directory(dir, created))
                return io_failure("cannot create maildir", dir, e);
            any = any || created;
        }
        if (any && sync_)
            if (const int e = fsync_directory(box)) return io_failure("cannot create maildir", box, e);
        return std::nullopt;
    }

    // Removes every copy of this message; what cannot be removed is added
    // to the failure's detail so the operator hears of it.
    void rollback(Failure& failure) {
        for (const Copy& copy : copies_) {
            if (copy.in_new) undo(copy.new_path(), copy.box + "/new", failure);
            if (copy.in_tmp) undo(copy.tmp_path(), copy.box + "/tmp", failure);
        }
    }

    void undo(const std::string& file, const std::string& dir, Failure& failure) {
        if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
            failure.detail += "; could not remove " + file + ": " + errno_text(errno);
            return;
        }
        if (sync_)
            if (const int e = fsync_directory(dir))
                failure.detail += "; could not fsync " + dir + ": " + errno_text(e);
    }

    static Failure io_failure(std::string_view cause, const std::string& path, int e) {
        const std::string why = errno_text(e);
        return Failure{Failure::Kind::Io, std::string(cause) + ": " + why,
                       std::string(cause) + ": " + path + ": " + why};
    }

    const std::string& root_;
    bool sync_;
    const std::string& host_;
    const Envelope& env_;
    DeferredSync* deferred_;
    KnownMaildirs& known_;
    std::unique_ptr<char[]> buffer_;
    std::vector<Copy> copies_;
};

}  // namespace

bool KnownMaildirs::contains(const std::string& box) const {
    std::lock_guard lock(mutex_);
    return boxes_.count(box) > 0;
}

void KnownMaildirs::add(const std::string& box) {
    std::lock_guard lock(mutex_);
    if (boxes_.size() >= kMax) boxes_.clear();
    boxes_.insert(box);
}

void KnownMaildirs::forget(const std::string& box) {
    std::lock_guard lock(mutex_);
    boxes_.erase(box);
}

DeferredSync::~DeferredSync() {
    for (int fd : fds_) ::close(fd);
}

int DeferredSync::sync_now() const {
    for (int fd : fds_)
        if (::fsync(fd) != 0) return errno;
    return 0;
}

int make_directories(const std::string& path, bool sync) {
    for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
        const std::string dir = path.substr(0, slash);
        bool created = false;
        if (!dir.empty() && dir.back() != '/') {
            if (const int e = make_directory(dir, created)) return e;
            if (created && sync)
                if (const int e = fsync_directory(parent_of(dir))) return e;
        }
        if (slash == std::string::npos) break;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

MaildirWriter::MaildirWriter(std::string root, bool sync, std::string escaped_host)
    : root_(std::move(root)), sync_(sync), host_(std::move(escaped_host)) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::optional<Failure> MaildirWriter::deliver(const Envelope& envelope, std::vector<std::string>* written,
                                              DeferredSync* deferred) const {
    // Refuse before writing anything: these never get better by retrying.
    if (!valid_return_path(envelope.mail_from))
        return Failure{Failure::Kind::BadSender, "reverse-path cannot be written as Return-Path",
                       "reverse-path contains control characters"};
    for (const std::string_view mailbox : envelope.mailboxes)
        if (!valid_mailbox(mailbox))
            return Failure{Failure::Kind::BadMailbox, "mailbox name not allowed for maildir delivery",
                           "recipient \"" + mailfw::printable(mailbox) +
                               "\" cannot be a maildir name (empty, '/', control characters, "
                               "leading '.' or longer than 255 bytes)"};
    Delivery d(root_, sync_, host_, envelope, deferred, known_);
    auto failure = d.run();
    if (!failure && written) *written = d.written();
    return failure;
}

int MaildirWriter::take_back(const std::vector<std::string>& files, std::string& detail) const {
    int result = 0;
    std::set<std::string> dirs;
    for (const std::string& f : files) {
        const std::string dir = parent_of(f);
        // Only what deliver() can have written: <root>/<mailbox>/new/<name>.
        const bool ours = f.compare(0, root_.size() + 1, root_ + "/") == 0 && dir.size() > 4 &&
                          dir.compare(dir.size() - 4, 4, "/new") == 0 && f.find("/../") == std::string::npos &&
                          parent_of(dir).rfind('/') == root_.size();
        if (!ours) {
            detail += (detail.empty() ? "" : "; ") + ("not a copy of ours: " + mailfw::printable(f));
            result = EINVAL;
            continue;
        }
        if (::unlink(f.c_str()) != 0 && errno != ENOENT) {
            result = errno;
            detail += (detail.empty() ? "" : "; ") + ("cannot remove " + f + ": " + errno_text(errno));
            continue;
        }
        dirs.insert(dir);
    }
    if (sync_)
        for (const std::string& d : dirs)
            if (const int e = fsync_directory(d)) {
                result = e;
                detail += (detail.empty() ? "" : "; ") + ("cannot fsync " + d + ": " + errno_text(e));
            }
    return result;
}

size_t MaildirWriter::remove_stale_tmp(int64_t max_age_s) const {
    size_t removed = 0;
    const time_t cutoff = ::time(nullptr) - static_cast<time_t>(max_age_s);
    DIR* root = ::opendir(root_.c_str());
    if (!root) return 0;
    while (const dirent* box = ::readdir(root)) {
        if (box->d_name[0] == '.') continue;
        const std::string tmp = root_ + "/" + box->d_name + "/tmp";
        DIR* d = ::opendir(tmp.c_str());
        if (!d) continue;
        while (const dirent* e = ::readdir(d)) {
            if (e->d_name[0] == '.') continue;
            const std::string f = tmp + "/" + e->d_name;
            struct stat st {};
            if (::lstat(f.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime < cutoff &&
                ::unlink(f.c_str()) == 0)
                ++removed;
        }
        ::closedir(d);
    }
    ::closedir(root);
    return removed;
}

}  // namespace mailfw::deliver_maildir
