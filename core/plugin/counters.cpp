#include "plugin/counters.hpp"

#include <chrono>
#include <algorithm>
#include <functional>
#include <limits>

namespace mailfw {
namespace {

constexpr uint64_t kBucketsPerWindow = 64;
// Sweep idle keys after this many rate_hit calls on a shard.
constexpr uint64_t kSweepEvery = 4096;

uint64_t steady_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

}  // namespace

Counters::Shard& Counters::shard(std::string_view key) {
    return shards_[std::hash<std::string_view>{}(key) % kShards];
}
const Counters::Shard& Counters::shard(std::string_view key) const {
    return shards_[std::hash<std::string_view>{}(key) % kShards];
}

int64_t Counters::add(std::string_view key, int64_t delta, uint64_t ttl_ms) {
    return add_at(key, delta, ttl_ms, steady_ms());
}

int64_t Counters::add_at(std::string_view key, int64_t delta, uint64_t ttl_ms, uint64_t now_ms) {
    Shard& s = shard(key);
    std::lock_guard lock(s.mutex);
    if (++s.adds % kSweepEvery == 0)  // expired counters go, so memory follows the live keys
        std::erase_if(s.counters, [now_ms](const auto& kv) { return kv.second.expired(now_ms); });
    auto it = s.counters.find(std::string(key));
    int64_t current = (it == s.counters.end() || it->second.expired(now_ms)) ? 0 : it->second.value;
    int64_t next = 0;
    if (__builtin_add_overflow(current, delta, &next))
        next = delta > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
    const uint64_t expires = ttl_ms ? now_ms + ttl_ms : 0;
    if (next == 0) {
        if (it != s.counters.end()) s.counters.erase(it);
    } else if (it == s.counters.end()) {
        s.counters.emplace(std::string(key), Counter{next, expires});
    } else {
        it->second = Counter{next, expires};
    }
    return next;
}

int64_t Counters::value(std::string_view key) const { return value_at(key, steady_ms()); }

int64_t Counters::value_at(std::string_view key, uint64_t now_ms) const {
    const Shard& s = shard(key);
    std::lock_guard lock(s.mutex);
    auto it = s.counters.find(std::string(key));
    return (it == s.counters.end() || it->second.expired(now_ms)) ? 0 : it->second.value;
}

size_t Counters::counter_keys() const {
    size_t n = 0;
    for (const auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        n += s.counters.size();
    }
    return n;
}

void Counters::prune(Window& w, uint64_t now_ms) {
    auto keep = w.buckets.begin();
    while (keep != w.buckets.end() && now_ms - keep->first >= w.window_ms) {
        w.total -= keep->second;
        ++keep;
    }
    w.buckets.erase(w.buckets.begin(), keep);
}

void Counters::sweep(Shard& s, uint64_t now_ms) {
    s.last_sweep_ms = now_ms;
    for (auto it = s.windows.begin(); it != s.windows.end();) {
        const Window& w = it->second;
        if (w.last_ms <= now_ms && now_ms - w.last_ms >= w.window_ms)
            it = s.windows.erase(it);
        else
            ++it;
    }
}

uint64_t Counters::rate_hit(std::string_view key, uint64_t window_ms, uint32_t hits) {
    return rate_hit_at(key, window_ms, hits, steady_ms());
}

uint64_t Counters::rate_hit_at(std::string_view key, uint64_t window_ms, uint32_t hits, uint64_t now_ms) {
    if (window_ms == 0) window_ms = 1;
    Shard& s = shard(key);
    std::lock_guard lock(s.mutex);
    if (++s.calls % kSweepEvery == 0) sweep(s, now_ms);
    auto it = s.windows.find(std::string(key));
    if (it == s.windows.end()) {
        if (hits == 0) return 0;
        if (s.windows.size() >= max_rate_keys_) {
            // At most one full sweep per second per shard, so a flood costs O(1) per key.
            if (now_ms - s.last_sweep_ms >= 1000 || now_ms < s.last_sweep_ms) sweep(s, now_ms);
            // Still full: a flood of distinct keys. Forget one to stay bounded.
            if (s.windows.size() >= max_rate_keys_) s.windows.erase(s.windows.begin());
        }
        it = s.windows.emplace(std::string(key), Window{}).first;
    }
    Window& w = it->second;
    if (now_ms < w.last_ms) now_ms = w.last_ms;  // the clock never runs backwards for a key
    w.window_ms = window_ms;
    prune(w, now_ms);
    if (hits > 0) {
        uint64_t width = std::max<uint64_t>(1, window_ms / kBucketsPerWindow);
        if (!w.buckets.empty() && now_ms - w.buckets.back().first < width)
            w.buckets.back().second += hits;
        else
            w.buckets.emplace_back(now_ms, hits);
        w.total += hits;
        w.last_ms = now_ms;
    }
    uint64_t total = w.total;
    if (w.buckets.empty()) s.windows.erase(it);
    return total;
}

size_t Counters::rate_keys() const {
    size_t n = 0;
    for (const auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        n += s.windows.size();
    }
    return n;
}

}  // namespace mailfw
