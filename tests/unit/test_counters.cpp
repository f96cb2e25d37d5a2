#include <gtest/gtest.h>

#include <limits>
#include <thread>
#include <vector>

#include "plugin/counters.hpp"

using namespace mailfw;

TEST(Counters, AddAndForgetAtZero) {
    Counters c;
    EXPECT_EQ(c.add("ip:192.0.2.1", 1), 1);
    EXPECT_EQ(c.add("ip:192.0.2.1", 1), 2);
    EXPECT_EQ(c.add("ip:192.0.2.2", 5), 5);
    EXPECT_EQ(c.value("ip:192.0.2.1"), 2);
    EXPECT_EQ(c.add("ip:192.0.2.1", -2), 0);
    EXPECT_EQ(c.value("ip:192.0.2.1"), 0);
    EXPECT_EQ(c.value("never"), 0);
}

TEST(Counters, AddSaturates) {
    Counters c;
    c.add("big", std::numeric_limits<int64_t>::max());
    EXPECT_EQ(c.add("big", 10), std::numeric_limits<int64_t>::max());
    c.add("small", std::numeric_limits<int64_t>::min());
    EXPECT_EQ(c.add("small", -10), std::numeric_limits<int64_t>::min());
}

TEST(Counters, AddIsThreadSafe) {
    Counters c;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i) c.add("shared", 1);
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(c.value("shared"), 40000);
}

TEST(Counters, SlidingWindow) {
    Counters c;
    const uint64_t minute = 60000;
    EXPECT_EQ(c.rate_hit_at("k", minute, 1, 1000), 1u);
    EXPECT_EQ(c.rate_hit_at("k", minute, 1, 2000), 2u);
    EXPECT_EQ(c.rate_hit_at("k", minute, 3, 30000), 5u);
    EXPECT_EQ(c.rate_hit_at("k", minute, 0, 60999), 5u);  // the first hit is 59.999 s old
    EXPECT_EQ(c.rate_hit_at("k", minute, 0, 61000), 4u);  // now it is 60 s old: out
    EXPECT_EQ(c.rate_hit_at("k", minute, 0, 62000), 3u);
    EXPECT_EQ(c.rate_hit_at("k", minute, 1, 89999), 4u);
    EXPECT_EQ(c.rate_hit_at("k", minute, 0, 90000), 1u);
    EXPECT_EQ(c.rate_hit_at("other", minute, 2, 90000), 2u);  // keys are independent
    EXPECT_EQ(c.rate_hit_at("k", minute, 0, 200000), 0u);
    EXPECT_EQ(c.rate_hit_at("k", 0, 2, 200000), 2u);  // a zero window still counts this millisecond
}

TEST(Counters, HitsNeverStayLongerThanTheWindow) {
    Counters c;
    const uint64_t window = 6400;  // buckets of 100 ms
    for (uint64_t t = 0; t < 100000; t += 7) {
        uint64_t n = c.rate_hit_at("dense", window, 1, t);
        // Exact count: hits at 7 ms steps in (t - window, t].
        uint64_t exact = std::min<uint64_t>(t / 7 + 1, (window - 1) / 7 + 1);
        ASSERT_LE(n, exact) << t;
        ASSERT_GE(n + window / 64 / 7 + 1, exact) << t;
    }
}

TEST(Counters, RateKeysAreBounded) {
    Counters c;
    // Keys whose window has passed are swept...
    for (uint64_t i = 0; i < 10000; ++i) c.rate_hit_at("old-" + std::to_string(i), 1000, 1, i);
    c.rate_hit_at("late", 1000, 1, 1000000);
    for (uint64_t i = 0; i < 70000; ++i) c.rate_hit_at("new-" + std::to_string(i), 1000, 1, 1000000);
    EXPECT_EQ(c.rate_keys(), 70001u);
    // ...and a flood of live keys cannot grow past the cap.
    Counters flood(64);
    for (size_t i = 0; i < 64 * 16 + 5000; ++i) flood.rate_hit_at("ip-" + std::to_string(i), 3600000, 1, 5);
    EXPECT_LE(flood.rate_keys(), 64u * 16);
    EXPECT_GT(flood.rate_keys(), 64u * 8);
    // A full shard sweeps idle keys before it forgets live ones.
    Counters full(64);
    for (size_t i = 0; i < 64 * 16 * 4; ++i) full.rate_hit_at("a-" + std::to_string(i), 1000, 1, 0);
    for (size_t i = 0; i < 16; ++i) full.rate_hit_at("b-" + std::to_string(i), 1000, 1, 5000);
    EXPECT_LE(full.rate_keys(), 64u * 16 - 63);  // at least one shard was swept clean
}

TEST(Counters, ExpireAfterTheirTtlFromTheLastUpdate) {
    Counters c;
    EXPECT_EQ(c.add_at("k", 2, 100, 1000), 2);
    EXPECT_EQ(c.add_at("k", 1, 100, 1050), 3);  // refreshed: expires at 1150
    EXPECT_EQ(c.value_at("k", 1149), 3);
    EXPECT_EQ(c.value_at("k", 1150), 0);
    EXPECT_EQ(c.add_at("k", 1, 100, 1200), 1);  // starts again from 0
    EXPECT_EQ(c.add_at("forever", 1, 0, 1000), 1);
    EXPECT_EQ(c.value_at("forever", 1000 + 86400000ull * 365), 1);
}

TEST(Counters, ExpiredCountersAreSweptAway) {
    Counters c;
    for (int i = 0; i < 5000; ++i) c.add_at("k" + std::to_string(i), 1, 10, 1000);
    // Later adds (past the expiry) sweep the expired keys of their shard.
    for (int i = 0; i < 70000; ++i) {  // spread over every shard, leaving nothing behind
        c.add_at("f" + std::to_string(i), 1, 0, 2000);
        c.add_at("f" + std::to_string(i), -1, 0, 2000);
    }
    EXPECT_LT(c.counter_keys(), 100u);
}
