#include "server/listener_context.hpp"

namespace mailfw {

void SessionRegistry::add(uint64_t id, std::weak_ptr<smtp::Session> s) {
    std::lock_guard lock(mutex_);
    sessions_.emplace(id, std::move(s));
}

void SessionRegistry::remove(uint64_t id) {
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
}

std::vector<std::shared_ptr<smtp::Session>> SessionRegistry::live() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<smtp::Session>> out;
    for (const auto& [id, weak] : sessions_)
        if (auto s = weak.lock()) out.push_back(std::move(s));
    return out;
}

size_t SessionRegistry::size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

uint64_t next_connection_id() {
    static std::atomic<uint64_t> counter{0};
    return ++counter;
}

}  // namespace mailfw
