// Group commit: the files and directories many sessions wrote at about the
// same time made durable by one batch of syncs, each requester answered when
// its own batch is on disk (mailfw_host_api.commit_durable).
//
// One thread. While it syncs a batch, new requests queue up and become the
// next batch, so the batch grows with the load and nobody waits for a timer.
// A batch starts the write-back of all its files at once
// (sync_file_range), then fsync()s every descriptor once: the I/O overlaps,
// a journalling filesystem commits the batch's metadata with the first
// fsync, and each request's answer is exact (its own files' write-back
// errors).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mailfw {

class GroupCommit {
public:
    // 0 when every descriptor is on stable storage, else the first errno.
    using Done = std::function<void(int error)>;

    GroupCommit() = default;
    ~GroupCommit();  // stop()
    GroupCommit(const GroupCommit&) = delete;
    GroupCommit& operator=(const GroupCommit&) = delete;

    // Takes the request: `done` runs exactly once, on the commit thread,
    // after every descriptor in `fds` is synced (the caller keeps them open
    // until then). False only after stop() (done is not called).
    bool submit(std::vector<int> fds, Done done);

    // Finishes every request taken so far, then joins the thread.
    void stop();

    // Batches synced so far and requests in them (tests and logs).
    uint64_t batches() const;
    uint64_t requests() const;

private:
    struct Request {
        std::vector<int> fds;
        Done done;
    };
    void run();
    static void sync_batch(std::vector<Request>& batch);

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Request> queue_;
    bool stopping_ = false;
    std::thread thread_;  // started by the first submit
    uint64_t batches_ = 0, requests_ = 0;
};

}  // namespace mailfw
