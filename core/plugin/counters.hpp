// Named counters (with an optional expiry) and sliding-window rate counters:
// the in-process store behind the "local" counter backend
// (counter_backend.hpp). Thread-safe; bounded in memory.
#pragma once
#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mailfw {

class Counters {
public:
    // `max_rate_keys_per_shard` bounds memory (16 shards); tests use a small one.
    explicit Counters(size_t max_rate_keys_per_shard = kMaxRateKeysPerShard)
        : max_rate_keys_(max_rate_keys_per_shard) {}

    // Adds `delta` (saturating) and returns the new value; a counter back at
    // 0 is forgotten. `ttl_ms` > 0: the counter is forgotten that long after
    // this update (every update sets it again); 0: it never expires.
    int64_t add(std::string_view key, int64_t delta, uint64_t ttl_ms = 0);
    int64_t add_at(std::string_view key, int64_t delta, uint64_t ttl_ms, uint64_t now_ms);
    int64_t value(std::string_view key) const;
    int64_t value_at(std::string_view key, uint64_t now_ms) const;
    size_t counter_keys() const;  // currently remembered (tests)

    // Records `hits` now and returns the hits of `key` within the last
    // `window_ms` (at least 1 ms). Hits are kept in at most ~64 buckets per
    // key, so a hit may leave the window up to window/64 early, never late.
    uint64_t rate_hit(std::string_view key, uint64_t window_ms, uint32_t hits);
    // The same at an explicit monotonic time (tests).
    uint64_t rate_hit_at(std::string_view key, uint64_t window_ms, uint32_t hits, uint64_t now_ms);
    // Rate keys currently remembered (for tests of the memory bound).
    size_t rate_keys() const;

    // Above this many rate keys per shard, idle keys are swept and then
    // arbitrary ones dropped: memory stays bounded (about 30 MB) under a flood
    // of distinct sources, at the price of forgetting some of them.
    static constexpr size_t kMaxRateKeysPerShard = 16384;

private:
    struct Window {
        std::vector<std::pair<uint64_t, uint64_t>> buckets;  // (first hit ms, hits), oldest first
        uint64_t total = 0;
        uint64_t window_ms = 1;
        uint64_t last_ms = 0;
    };
    struct Counter {
        int64_t value = 0;
        uint64_t expires_ms = 0;  // 0: never
        bool expired(uint64_t now_ms) const { return expires_ms && now_ms >= expires_ms; }
    };
    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, Counter> counters;
        uint64_t adds = 0;
        std::unordered_map<std::string, Window> windows;
        uint64_t calls = 0;
        uint64_t last_sweep_ms = 0;
    };
    static constexpr size_t kShards = 16;
    Shard& shard(std::string_view key);
    const Shard& shard(std::string_view key) const;
    static void prune(Window& w, uint64_t now_ms);
    static void sweep(Shard& s, uint64_t now_ms);

    const size_t max_rate_keys_;
    std::array<Shard, kShards> shards_;
};

}  // namespace mailfw
