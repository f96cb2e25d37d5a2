#include "credential_store.hpp"

#include "nt_hash.hpp"  // plugins/common
#include "password_hash.hpp"
#include "user_name.hpp"

#include <mailfw/plugin.hpp>

#include <ctime>
#include <map>
#include <vector>

namespace mailfw::store_sqlite {

using plugin_common::kNtHashProperty;
using plugin_common::nt_hash_hex;

namespace {
constexpr int64_t kDummyRefreshSeconds = 60;
}

CredentialStore::CredentialStore(const std::string& path, uint32_t iterations,
                                 UserDatabase::Logger log, bool keep_nt_hashes)
    : iterations_(iterations),
      dummy_iterations_(iterations),
      log_(log),
      db_(path, std::move(log)),
      keep_nt_hashes_(keep_nt_hashes),
      legacy_(keep_nt_hashes ? std::make_unique<plugin_common::LegacyCrypto>() : nullptr) {
    refresh_dummy_cost();
}

void CredentialStore::refresh_dummy_cost() {
    dummy_refreshed_s_.store(static_cast<int64_t>(std::time(nullptr)));
    std::vector<std::string> hashes;
    if (db_.password_hashes(hashes) != MAILFW_OK) return;
    std::map<uint32_t, size_t> counts;
    for (auto& h : hashes) {
        if (auto parts = parse_hash(h)) ++counts[parts->iterations];
        mailfw::wipe(h);
    }
    uint32_t mode = iterations_;
    size_t best = 0;
    for (const auto& [n, users] : counts)
        if (users >= best) mode = n, best = users;  // a tie goes to the larger (slower) count
    dummy_iterations_.store(mode);
}

int CredentialStore::verify(std::string_view user, std::string_view password) {
    std::string encoded;
    const int found = valid_user_name(user) ? db_.password_hash(user, encoded) : MAILFW_NOT_FOUND;
    if (found == MAILFW_NOT_FOUND) {
        // Spend the time a real check of a stored hash takes, so timing does
        // not tell which names exist.
        if (std::time(nullptr) - dummy_refreshed_s_.load() >= kDummyRefreshSeconds) refresh_dummy_cost();
        dummy_check(password, dummy_iterations_.load());
        return MAILFW_NOT_FOUND;
    }
    if (found != MAILFW_OK) return found;
    switch (check_password(password, encoded)) {  // the slow part, outside the lock
        case HashCheck::Match:
            upgrade_hash(user, password, encoded);
            if (keep_nt_hashes_) {  // a user set before ntlm_hashes was on gets one now
                std::string nt;
                if (db_.property(user, kNtHashProperty, nt) != MAILFW_OK || nt.empty()) store_nt_hash(user, password);
            }
            return MAILFW_OK;
        case HashCheck::Mismatch:
            return MAILFW_DENIED;
        case HashCheck::Malformed:
            break;
    }
    log_(MAILFW_LOG_ERROR, db_.path() + ": the password hash of user \"" +
                               std::string(user) +
                               "\" is not $pbkdf2-sha256$...; set the password again with mailfw-admin");
    return MAILFW_UNAVAILABLE;
}

void CredentialStore::upgrade_hash(std::string_view user, std::string_view password, const std::string& encoded) {
    // At a successful login the hash moves to the configured count (up or
    // down), so a change of pbkdf2_iterations reaches every active user.
    const auto parts = parse_hash(encoded);
    if (!parts || parts->iterations == iterations_) return;
    try {
        const std::string fresh = hash_password(password, iterations_);
        if (db_.replace_password(user, encoded, fresh) == MAILFW_OK) {
            log_(MAILFW_LOG_INFO, "password hash of \"" + std::string(user) + "\" moved from " +
                                      std::to_string(parts->iterations) + " to " + std::to_string(iterations_) +
                                      " PBKDF2 rounds");
        }
    } catch (const std::exception& e) {
        log_(MAILFW_LOG_WARNING, std::string("could not upgrade a password hash: ") + e.what());
    }
}

int CredentialStore::lookup(std::string_view user, std::string_view property, std::string& value) {
    if (!valid_user_name(user) || property.empty()) return MAILFW_NOT_FOUND;
    return db_.property(user, property, value);
}

int CredentialStore::user_exists(std::string_view user) {
    if (!valid_user_name(user)) return MAILFW_NOT_FOUND;
    std::string encoded;
    const int r = db_.password_hash(user, encoded);
    mailfw::wipe(encoded);
    return r == MAILFW_OK || r == MAILFW_NOT_FOUND ? r : MAILFW_UNAVAILABLE;
}

int CredentialStore::credential_stamp(std::string_view user, uint64_t& stamp) {
    if (!valid_user_name(user)) return MAILFW_NOT_FOUND;
    std::string encoded;
    const int r = db_.password_hash(user, encoded);
    if (r == MAILFW_OK) {
        stamp = 14695981039346656037ull;  // FNV-1a: the stamp need not be secret, only change
        for (const unsigned char c : encoded) stamp = (stamp ^ c) * 1099511628211ull;
    }
    mailfw::wipe(encoded);
    return r == MAILFW_OK || r == MAILFW_NOT_FOUND ? r : MAILFW_UNAVAILABLE;
}

int CredentialStore::authorize(std::string_view authcid, std::string_view authzid) {
    if (!valid_user_name(authcid) || !valid_user_name(authzid)) return MAILFW_NOT_FOUND;
    return db_.authorization(authcid, authzid);
}

int CredentialStore::user_set(int mode, std::string_view user, std::string_view password) {
    if (!valid_user_name(user) || password.empty()) return MAILFW_INVALID;
    if (mode != MAILFW_USER_CREATE && mode != MAILFW_USER_UPDATE) return MAILFW_INVALID;
    const std::string encoded = hash_password(password, iterations_);  // outside the lock
    const int r = mode == MAILFW_USER_CREATE ? db_.insert_user(user, encoded, static_cast<int64_t>(std::time(nullptr)))
                                             : db_.update_password(user, encoded);
    if (r == MAILFW_OK) store_nt_hash(user, password);
    return r;
}

void CredentialStore::store_nt_hash(std::string_view user, std::string_view password) {
    std::string hex;
    if (keep_nt_hashes_) {
        auto h = nt_hash_hex(*legacy_, password);
        if (h)
            hex = std::move(*h);
        else
            log_(MAILFW_LOG_WARNING, "no NT hash for \"" + std::string(user) +
                                         "\": the password is not UTF-8, or MD4 is missing (OpenSSL legacy provider)");
    }
    if (db_.set_property(user, kNtHashProperty, hex) != MAILFW_OK)
        log_(MAILFW_LOG_WARNING, "could not store the NT hash of \"" + std::string(user) + "\"");
    mailfw::wipe(hex);
}

int CredentialStore::user_delete(std::string_view user) {
    if (!valid_user_name(user)) return MAILFW_INVALID;
    return db_.delete_user(user);
}

int CredentialStore::user_list(mailfw_user_fn each, void* user_data) {
    if (!each) return MAILFW_INVALID;
    std::vector<std::string> names;
    if (const int r = db_.list_users(names); r != MAILFW_OK) return r;
    // The callback runs without the lock: it may call back into the store.
    for (const std::string& name : names) each(user_data, name.data(), name.size());
    return MAILFW_OK;
}

}  // namespace mailfw::store_sqlite
