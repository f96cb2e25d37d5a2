#include "spool/spool_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <system_error>

#include "config/config_file.hpp"

namespace mailfw {

namespace {
constexpr size_t kBufferSize = 64 * 1024;

// Gives back the file's pages and blocks but keeps its size: a hole. Not
// ftruncate(0): ext4 marks a file truncated to zero for "replace via
// truncate" and, the next time any descriptor of it is closed (a delivery
// plugin's, after reading the message), writes its data to disk at once
// (auto_da_alloc) -- a disk write per message of a file nobody keeps.
// Dirty pages are dropped either way, before any sync could write them.
// Where holes cannot be punched (some filesystems), truncation.
bool hollow(int fd, uint64_t length) {
    if (length == 0) return ::lseek(fd, 0, SEEK_SET) == 0;
    // Past the end to a whole block: a partly covered block is only zeroed.
    constexpr uint64_t kBlock = 64 * 1024;
    const auto span = static_cast<off_t>((length + kBlock - 1) / kBlock * kBlock);
    const int r = ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, span);
    if (r != 0 && ::ftruncate(fd, 0) != 0) return false;
    return ::lseek(fd, 0, SEEK_SET) == 0;
}
}  // namespace

SpoolPool::SpoolPool(std::filesystem::path dir, size_t capacity) : dir_(std::move(dir)), capacity_(capacity) {}

SpoolPool::~SpoolPool() {
    for (const Slot& s : idle_) {
        ::close(s.fd);
        ::unlink(s.path.c_str());
    }
}

SpoolPool::Slot SpoolPool::take(const std::string& id) {
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            Slot s = std::move(idle_.back());
            idle_.pop_back();
            return s;
        }
    }
    Slot s;
    s.path = (dir_ / (id + ".msg")).string();
    s.fd = ::open(s.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (s.fd < 0) throw std::system_error(errno, std::generic_category(), "cannot create " + s.path);
    return s;
}

void SpoolPool::give_back(Slot slot, bool reusable, bool written) noexcept {
    if (slot.fd < 0) return;
    if (reusable && (!written || hollow(slot.fd, slot.length))) {
        std::lock_guard lock(mutex_);
        if (idle_.size() < capacity_) {
            idle_.push_back(std::move(slot));
            return;
        }
    }
    ::close(slot.fd);
    ::unlink(slot.path.c_str());
}

size_t SpoolPool::idle() const {
    std::lock_guard lock(mutex_);
    return idle_.size();
}

SpoolFile::SpoolFile(SpoolPool& pool, const std::string& id) : pool_(pool), slot_(pool.take(id)) {
    buffer_.reserve(kBufferSize);
}

SpoolFile::~SpoolFile() { pool_.give_back(std::move(slot_), reusable_, on_disk_ > 0); }

void SpoolFile::empty_now() noexcept {
    reusable_ = true;
    buffer_.clear();
    if (on_disk_ == 0) return;  // nothing ever reached the file
    if (!hollow(slot_.fd, slot_.length)) {
        reusable_ = false;  // then removed, as any file that cannot be emptied
        return;
    }
    on_disk_ = 0;
}

void SpoolFile::append(std::string_view bytes) {
    size_ += bytes.size();
    if (buffer_.size() + bytes.size() <= kBufferSize) {
        buffer_.append(bytes);
        return;
    }
    flush_buffer();
    if (bytes.size() >= kBufferSize) {
        while (!bytes.empty()) {
            ssize_t n = ::write(slot_.fd, bytes.data(), bytes.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw std::system_error(errno, std::generic_category(), "cannot write " + slot_.path);
            bytes.remove_prefix(static_cast<size_t>(n));
            on_disk_ += static_cast<uint64_t>(n);
        }
        slot_.length = std::max(slot_.length, on_disk_);
        return;
    }
    buffer_.append(bytes);
}

void SpoolFile::flush_buffer() {
    std::string_view rest = buffer_;
    while (!rest.empty()) {
        ssize_t n = ::write(slot_.fd, rest.data(), rest.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::system_error(errno, std::generic_category(), "cannot write " + slot_.path);
        rest.remove_prefix(static_cast<size_t>(n));
        on_disk_ += static_cast<uint64_t>(n);
    }
    slot_.length = std::max(slot_.length, on_disk_);
    buffer_.clear();
}

void SpoolFile::finish() {
    flush_buffer();
    // A reused file keeps the size of the longest message it held: cut it
    // to this one's, so that a reader sees exactly this message -- to zero
    // for an empty one (rare, so hollow()'s reason against it does not
    // matter), which would otherwise read as the last message's size in
    // NULs.
    if (on_disk_ < slot_.length && ::ftruncate(slot_.fd, static_cast<off_t>(on_disk_)) != 0)
        throw std::system_error(errno, std::generic_category(), "cannot write " + slot_.path);
    slot_.length = on_disk_;
}

void prepare_spool_directory(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        throw ConfigError("cannot create spool directory " + dir.string() + ": " + ec.message() +
                          "; set `spool =` in [server] to a writable directory");
    ::chmod(dir.c_str(), 0700);
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.path().extension() == ".msg") std::filesystem::remove(entry.path(), ec);
    std::string probe = (dir / ".write-test").string();
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        throw ConfigError("spool directory " + dir.string() + " is not writable: " +
                          std::system_category().message(errno) + "; fix its permissions or set `spool =` in [server]");
    ::close(fd);
    ::unlink(probe.c_str());
}

std::string make_queue_id() {
    static std::atomic<uint64_t> counter{0};
    static const unsigned pid = static_cast<unsigned>(::getpid());  // the server never forks after start-up
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    char buf[48];
    std::snprintf(buf, sizeof buf, "%011llX%05X%04llX", static_cast<unsigned long long>(us),
                  pid & 0xFFFFF,
                  static_cast<unsigned long long>(counter.fetch_add(1) & 0xFFFF));
    return buf;
}

}  // namespace mailfw
