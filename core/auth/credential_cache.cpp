#include "auth/credential_cache.hpp"

#include <mailfw/plugin.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "util/secret.hpp"

namespace mailfw {

CredentialCache::CredentialCache(Settings settings) : settings_(settings) {
    // A fresh secret per process: keys mean nothing outside it.
    if (RAND_bytes(secret_.data(), static_cast<int>(secret_.size())) != 1)
        throw std::runtime_error("cannot seed the credential cache: no random bytes from OpenSSL");
}

CredentialCache::Key CredentialCache::key(std::string_view user, std::string_view password) const {
    SecretString message;
    message.str().reserve(user.size() + 1 + password.size());
    message.str().append(user).append(1, '\0').append(password);
    Key out{};
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
              reinterpret_cast<const unsigned char*>(message.str().data()), message.str().size(), out.data(), &len) ||
        len != out.size())
        throw std::runtime_error("credential cache: HMAC-SHA256 failed");
    return out;
}

size_t CredentialCache::KeyHash::operator()(const Key& k) const noexcept {
    size_t h;
    std::memcpy(&h, k.data(), sizeof h);  // already uniformly random
    return h;
}

std::optional<int> CredentialCache::find(const Key& key, size_t store, uint64_t stamp, Clock::time_point now) {
    if (!enabled()) return std::nullopt;
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    const Entry& e = it->second;
    if (e.store != store || e.stamp != stamp || now >= e.expires) {
        erase(it);
        return std::nullopt;
    }
    ++hits_;
    return e.status;
}

void CredentialCache::put(const Key& key, size_t store, uint64_t stamp, int status, Clock::time_point now) {
    if (!enabled()) return;
    if (status != MAILFW_OK && status != MAILFW_DENIED && status != MAILFW_NOT_FOUND) return;
    const Clock::duration ttl = status == MAILFW_OK ? settings_.ttl : settings_.negative_ttl;
    if (ttl <= Clock::duration::zero()) return;
    std::lock_guard lock(mutex_);
    if (auto old = entries_.find(key); old != entries_.end()) erase(old);
    while (entries_.size() >= settings_.max_entries) erase(entries_.find(oldest_.front()));
    oldest_.push_back(key);
    entries_.emplace(key, Entry{store, stamp, status, now + ttl, std::prev(oldest_.end())});
}

void CredentialCache::erase(std::unordered_map<Key, Entry, KeyHash>::iterator it) {
    oldest_.erase(it->second.age);
    entries_.erase(it);
}

size_t CredentialCache::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

uint64_t CredentialCache::hits() const {
    std::lock_guard lock(mutex_);
    return hits_;
}

}  // namespace mailfw
