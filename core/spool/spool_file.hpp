// A message being received, streamed to a file in the spool directory as
// it arrives (never held whole in memory). The file is removed when the
// object dies, so a client that drops mid-DATA leaves nothing behind; the
// delivery plugin makes its own durable copy before the 250. It is written
// from the network thread and never fsync'd: page-cache writes only.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace mailfw {

class SpoolFile {
public:
    // Creates <dir>/<id>.msg exclusively (0600). Throws std::system_error.
    SpoolFile(const std::filesystem::path& dir, const std::string& id);
    ~SpoolFile();
    SpoolFile(const SpoolFile&) = delete;
    SpoolFile& operator=(const SpoolFile&) = delete;

    void append(std::string_view bytes);  // buffered; throws std::system_error
    void finish();                        // flushes the buffer; the file is complete
    uint64_t size() const { return size_; }
    const std::filesystem::path& path() const { return path_; }

private:
    void flush_buffer();
    std::filesystem::path path_;
    int fd_ = -1;
    std::string buffer_;
    uint64_t size_ = 0;
};

// Creates the spool directory (0700) if needed and removes files that a
// previous run left behind (a crash mid-DATA: never acknowledged). Throws
// ConfigError naming the directory and the fix.
void prepare_spool_directory(const std::filesystem::path& dir);

// A queue id unique within this host: time, process and a counter, in hex.
std::string make_queue_id();

}  // namespace mailfw
