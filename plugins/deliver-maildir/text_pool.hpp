// Reply texts that outlive the deliver() call that made them. The host may
// read a result after deliver() returns, while other threads deliver on the
// same instance, so per-call buffers will not do; the set of distinct texts
// is small (a few causes times the errno values), so they are kept for the
// life of the instance.
#ifndef MAILFW_DELIVER_MAILDIR_TEXT_POOL_HPP
#define MAILFW_DELIVER_MAILDIR_TEXT_POOL_HPP

#include <cstddef>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace mailfw::deliver_maildir {

class TextPool {
public:
    explicit TextPool(size_t capacity = 1024) : capacity_(capacity) {}

    // A view of an equal text that stays valid as long as the pool; once the
    // pool is full, `fallback` (which must be static) instead.
    std::string_view intern(std::string_view text, std::string_view fallback);

private:
    std::mutex mutex_;
    std::set<std::string, std::less<>> texts_;  // nodes never move
    size_t capacity_;
};

}  // namespace mailfw::deliver_maildir

#endif
