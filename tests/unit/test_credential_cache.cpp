// The verified-credential cache: answers kept per (user, password) key only
// while the store and its stamp are the same, within their TTLs, within the
// size bound; nothing but OK, DENIED and NOT_FOUND is kept.
#include <gtest/gtest.h>

#include <mailfw/plugin.h>

#include <chrono>

#include "auth/credential_cache.hpp"

using mailfw::CredentialCache;
using namespace std::chrono_literals;

namespace {

CredentialCache make(size_t entries = 100, CredentialCache::Clock::duration ttl = 1h,
                     CredentialCache::Clock::duration negative = 10min) {
    return CredentialCache(CredentialCache::Settings{entries, ttl, negative});
}

const CredentialCache::Clock::time_point t0 = CredentialCache::Clock::now();

}  // namespace

TEST(CredentialCache, KeysDependOnUserPasswordAndTheProcessSecret) {
    auto a = make(), b = make();
    EXPECT_EQ(a.key("alice", "pw"), a.key("alice", "pw"));
    EXPECT_NE(a.key("alice", "pw"), a.key("alice", "pw2"));
    EXPECT_NE(a.key("alice", "pw"), a.key("bob", "pw"));
    EXPECT_NE(a.key("ab", "c"), a.key("a", "bc")) << "the NUL between them keeps the split";
    EXPECT_NE(a.key("alice", "pw"), b.key("alice", "pw")) << "a random secret per cache";
}

TEST(CredentialCache, RemembersWhileStoreAndStampStay) {
    auto c = make();
    const auto k = c.key("alice", "pw");
    EXPECT_FALSE(c.find(k, 0, 7, t0));
    c.put(k, 0, 7, MAILFW_OK, t0);
    EXPECT_EQ(c.find(k, 0, 7, t0 + 1s), MAILFW_OK);
    EXPECT_EQ(c.hits(), 1u);
    EXPECT_FALSE(c.find(k, 1, 7, t0 + 1s)) << "another store holds the user now";
    c.put(k, 0, 7, MAILFW_OK, t0);
    EXPECT_FALSE(c.find(k, 0, 8, t0 + 1s)) << "the password changed: a new stamp";
    EXPECT_EQ(c.size(), 0u) << "an entry that no longer counts is dropped";
}

TEST(CredentialCache, PositiveAndNegativeTtls) {
    auto c = make(100, 1h, 10min);
    const auto ok = c.key("alice", "right"), bad = c.key("alice", "wrong"), nobody = c.key("ghost", "x");
    c.put(ok, 0, 1, MAILFW_OK, t0);
    c.put(bad, 0, 1, MAILFW_DENIED, t0);
    c.put(nobody, CredentialCache::kNoStore, 0, MAILFW_NOT_FOUND, t0);
    EXPECT_EQ(c.find(bad, 0, 1, t0 + 9min), MAILFW_DENIED);
    EXPECT_EQ(c.find(nobody, CredentialCache::kNoStore, 0, t0 + 9min), MAILFW_NOT_FOUND);
    EXPECT_FALSE(c.find(bad, 0, 1, t0 + 11min));
    EXPECT_FALSE(c.find(nobody, CredentialCache::kNoStore, 0, t0 + 11min));
    EXPECT_EQ(c.find(ok, 0, 1, t0 + 59min), MAILFW_OK);
    EXPECT_FALSE(c.find(ok, 0, 1, t0 + 61min));
}

TEST(CredentialCache, ZeroNegativeTtlKeepsNoFailures) {
    auto c = make(100, 1h, 0s);
    const auto bad = c.key("alice", "wrong");
    c.put(bad, 0, 1, MAILFW_DENIED, t0);
    EXPECT_FALSE(c.find(bad, 0, 1, t0));
    EXPECT_EQ(c.size(), 0u);
}

TEST(CredentialCache, OnlyFinalAnswersAreKept) {
    auto c = make();
    const auto k = c.key("alice", "pw");
    for (int status : {int{MAILFW_UNAVAILABLE}, int{MAILFW_INVALID}, 12345}) c.put(k, 0, 1, status, t0);
    EXPECT_EQ(c.size(), 0u);
}

TEST(CredentialCache, SizeBoundDropsTheOldest) {
    auto c = make(3);
    for (int i = 0; i < 5; ++i) c.put(c.key("u" + std::to_string(i), "pw"), 0, 1, MAILFW_OK, t0);
    EXPECT_EQ(c.size(), 3u);
    EXPECT_FALSE(c.find(c.key("u0", "pw"), 0, 1, t0));
    EXPECT_FALSE(c.find(c.key("u1", "pw"), 0, 1, t0));
    for (int i = 2; i < 5; ++i) EXPECT_EQ(c.find(c.key("u" + std::to_string(i), "pw"), 0, 1, t0), MAILFW_OK) << i;
    // Putting a key again renews it instead of adding a second entry.
    c.put(c.key("u2", "pw"), 0, 1, MAILFW_OK, t0);
    c.put(c.key("u5", "pw"), 0, 1, MAILFW_OK, t0);
    EXPECT_EQ(c.size(), 3u);
    EXPECT_EQ(c.find(c.key("u2", "pw"), 0, 1, t0), MAILFW_OK);
    EXPECT_FALSE(c.find(c.key("u3", "pw"), 0, 1, t0));
}

TEST(CredentialCache, OffKeepsNothing) {
    auto c = make(0);
    EXPECT_FALSE(c.enabled());
    const auto k = c.key("alice", "pw");
    c.put(k, 0, 1, MAILFW_OK, t0);
    EXPECT_FALSE(c.find(k, 0, 1, t0));
}
