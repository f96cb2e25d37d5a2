#include "spool/group_commit.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <set>
#include <utility>

#include "util/log.hpp"

namespace mailfw {

GroupCommit::~GroupCommit() { stop(); }

bool GroupCommit::submit(std::vector<int> fds, Done done) {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    queue_.push_back(Request{std::move(fds), std::move(done)});
    wake_.notify_one();
    return true;
}

void GroupCommit::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        wake_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
}

uint64_t GroupCommit::batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
}

uint64_t GroupCommit::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

void GroupCommit::run() {
    for (;;) {
        std::vector<Request> batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and nothing is left
            batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
            queue_.clear();
            ++batches_;
            requests_ += batch.size();
        }
        sync_batch(batch);
    }
}

void GroupCommit::sync_batch(std::vector<Request>& batch) {
    // One descriptor per inode: a directory many requests linked into is
    // synced once, and every request that named it gets that answer.
    std::map<std::pair<dev_t, ino_t>, int> inode_fd, inode_error;
    std::map<int, std::pair<dev_t, ino_t>> fd_inode;
    std::map<int, int> fd_error;
    for (const Request& r : batch)
        for (int fd : r.fds) {
            struct stat st {};
            if (::fstat(fd, &st) != 0) {
                fd_error[fd] = errno;
                continue;
            }
            const auto inode = std::make_pair(st.st_dev, st.st_ino);
            fd_inode[fd] = inode;
            inode_fd.emplace(inode, fd);
        }
    // Every file's write-back started at once, so that the fsyncs below
    // wait for I/O already in flight together, not one file after another;
    // and on a journalling filesystem the first fsync commits the metadata
    // of the whole batch, which makes the others cheap. Not syncfs(): it
    // writes whatever else on the filesystem is dirty too (the log, other
    // programs' files), which made each batch 30% slower (tests/bench,
    // durable). Its result is not the answer; the fsyncs' are.
    for (const auto& [inode, fd] : inode_fd) ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    for (const auto& [inode, fd] : inode_fd) {
        int e = 0;
        while (::fsync(fd) != 0) {
            if (errno == EINTR) continue;
            e = errno;
            break;
        }
        inode_error[inode] = e;
    }
    for (Request& r : batch) {
        int error = 0;
        for (int fd : r.fds) {
            if (auto bad = fd_error.find(fd); bad != fd_error.end()) error = bad->second;
            else error = inode_error[fd_inode[fd]];
            if (error) break;
        }
        try {
            r.done(error);
        } catch (const std::exception& e) {
            log::write(log::Level::error, std::string("group commit: a completion failed: ") + e.what());
        }
    }
}

}  // namespace mailfw
