// The verified-credential cache (Dovecot's auth_cache): a password check's
// answer remembered so that a client logging in again costs no hashing.
//
// Keyed by HMAC-SHA256 under a random per-process secret of user NUL
// password, so no password (nor a fast hash of one alone) is kept. Each
// entry remembers which store answered and that store's credential stamp
// (mailfw_store.credential_stamp) for the user at that moment: a password
// change, a deletion or a re-creation -- from mailfw-admin or anything else
// writing the store -- changes the stamp and the entry no longer counts.
// Positive answers (OK) live `ttl`, negative ones (DENIED, and NOT_FOUND
// for names no store knows, so that a repeated guess is as fast for an
// unknown user as for a known one) live `negative_ttl`. At most
// `max_entries`; the oldest goes first. Thread-safe.
#pragma once
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace mailfw {

class CredentialCache {
public:
    using Clock = std::chrono::steady_clock;
    using Key = std::array<unsigned char, 32>;
    // Entries a byte budget holds (what [server] auth_cache_size gives).
    static constexpr size_t kBytesPerEntry = 128;
    // For NOT_FOUND: no store knows the name.
    static constexpr size_t kNoStore = static_cast<size_t>(-1);

    struct Settings {
        size_t max_entries = 0;  // 0: off
        Clock::duration ttl{};
        Clock::duration negative_ttl{};
    };
    explicit CredentialCache(Settings settings);

    bool enabled() const noexcept { return settings_.max_entries > 0; }
    Key key(std::string_view user, std::string_view password) const;

    // The status remembered for `key` when it came from `store` with this
    // stamp and has not expired; nullopt otherwise (an entry that no longer
    // counts is dropped).
    std::optional<int> find(const Key& key, size_t store, uint64_t stamp, Clock::time_point now);
    // Remembers OK, DENIED or NOT_FOUND; other statuses are never cached.
    void put(const Key& key, size_t store, uint64_t stamp, int status, Clock::time_point now);

    size_t size() const;
    uint64_t hits() const;

private:
    struct KeyHash {
        size_t operator()(const Key& k) const noexcept;
    };
    struct Entry {
        size_t store;
        uint64_t stamp;
        int status;
        Clock::time_point expires;
        std::list<Key>::iterator age;  // position in oldest_
    };
    void erase(std::unordered_map<Key, Entry, KeyHash>::iterator it);

    Settings settings_;
    std::array<unsigned char, 32> secret_{};
    mutable std::mutex mutex_;
    std::unordered_map<Key, Entry, KeyHash> entries_;
    std::list<Key> oldest_;  // front: inserted first
    uint64_t hits_ = 0;
};

}  // namespace mailfw
