// A message being received, streamed to a file in the spool directory as
// it arrives; only a small one (up to the 64 KiB buffer) is held whole in
// memory, and it reaches the file only if some delivery reads the file.
// When the message is done with, the file goes back to its SpoolPool:
// emptied and kept for the next message when every delivery said it keeps
// nothing of it, else removed, so a client that drops mid-DATA leaves
// nothing behind. The delivery
// plugin makes its own durable copy before the 250. It is written from the
// network thread and never fsync'd: page-cache writes only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailfw {

// The spool directory's files. Creating and unlinking a file per message
// costs the filesystem an inode allocation and a free every time (ext4
// then scans past every inode freed in the last seconds: most of the
// kernel time under load), so emptied files are kept and reused, up to
// `capacity` idle ones. "Emptied" means hollowed: no data, no blocks, the
// size of the last message kept (see hollow() for why not truncated).
// Thread-safe.
class SpoolPool {
public:
    struct Slot {
        int fd = -1;
        std::string path;
        uint64_t length = 0;  // the file's size: an idle file is a hole of this size
    };
    explicit SpoolPool(std::filesystem::path dir, size_t capacity = 256);
    ~SpoolPool();  // removes the idle files
    SpoolPool(const SpoolPool&) = delete;
    SpoolPool& operator=(const SpoolPool&) = delete;

    // An idle file (hollow; written from offset 0), or a new <dir>/<id>.msg
    // (exclusive, 0600).
    // Throws std::system_error.
    Slot take(const std::string& id);
    // `reusable`: nobody keeps the file or its contents (no link, no open
    // descriptor): it is emptied (when `written`) and kept when there is
    // room. Otherwise, and when emptying fails, it is closed and removed.
    void give_back(Slot slot, bool reusable, bool written = true) noexcept;

    size_t idle() const;
    const std::filesystem::path& dir() const { return dir_; }

private:
    std::filesystem::path dir_;
    size_t capacity_;
    mutable std::mutex mutex_;
    std::vector<Slot> idle_;
};

class SpoolFile {
public:
    // A file from `pool` (see SpoolPool::take). Throws std::system_error.
    SpoolFile(SpoolPool& pool, const std::string& id);
    ~SpoolFile();  // back to the pool: kept only after allow_reuse()
    SpoolFile(const SpoolFile&) = delete;
    SpoolFile& operator=(const SpoolFile&) = delete;

    void append(std::string_view bytes);  // buffered; throws std::system_error
    void finish();                        // flushes the buffer; the file is complete
                                          // (left out when no delivery reads it)
    uint64_t size() const { return size_; }
    // The whole message while no byte of it has gone to the file (it fits
    // the buffer and finish() was not called); nullopt once it has.
    std::optional<std::string_view> in_memory() const {
        if (on_disk_ > 0) return std::nullopt;
        return std::string_view(buffer_);
    }
    const std::string& path() const { return slot_.path; }
    // Every delivery is done with the file and kept nothing of it.
    void allow_reuse() { reusable_ = true; }
    // The same, said as soon as it is true: the file is emptied now (its
    // dirty pages dropped before a sync could write them) and reused later.
    // size() keeps the message's size.
    void empty_now() noexcept;

private:
    void flush_buffer();
    SpoolPool& pool_;
    SpoolPool::Slot slot_;
    std::string buffer_;
    uint64_t size_ = 0;
    uint64_t on_disk_ = 0;  // bytes written to the file (the rest is in buffer_)
    bool reusable_ = false;
};

// Creates the spool directory (0700) if needed and removes files that a
// previous run left behind (a crash mid-DATA: never acknowledged). Throws
// ConfigError naming the directory and the fix.
void prepare_spool_directory(const std::filesystem::path& dir);

// A queue id unique within this host: time, process and a counter, in hex.
std::string make_queue_id();

}  // namespace mailfw
