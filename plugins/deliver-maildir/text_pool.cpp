#include "text_pool.hpp"

namespace mailfw::deliver_maildir {

std::string_view TextPool::intern(std::string_view text, std::string_view fallback) {
    std::lock_guard lock(mutex_);
    if (auto it = texts_.find(text); it != texts_.end()) return *it;
    if (texts_.size() >= capacity_) return fallback;
    return *texts_.emplace(text).first;
}

}  // namespace mailfw::deliver_maildir
