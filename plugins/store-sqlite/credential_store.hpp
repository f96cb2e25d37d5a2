// The store's behaviour behind the mailfw_store slots: name rules, hashing
// outside the database lock, equal time for unknown users and wrong
// passwords. plugin.cpp only reads the config and binds it to the C ABI.
#ifndef MAILFW_STORE_SQLITE_CREDENTIAL_STORE_HPP
#define MAILFW_STORE_SQLITE_CREDENTIAL_STORE_HPP

#include "legacy_crypto.hpp"  // plugins/common
#include "user_database.hpp"

#include <mailfw/plugin.h>

#include <atomic>
#include <memory>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailfw::store_sqlite {

class CredentialStore {
public:
    // `iterations`: PBKDF2 count for passwords set from now on, and for the
    // dummy derivation of unknown users. Throws std::runtime_error with the
    // operator-facing reason when the file cannot be used.
    // `keep_nt_hashes`: also store each password's NT hash (nt_hash.hpp) for
    // NTLM, when it is set and at a successful login that finds none.
    CredentialStore(const std::string& path, uint32_t iterations, UserDatabase::Logger log,
                    bool keep_nt_hashes = false);

    // The mailfw_store slots; each returns a mailfw_status. verify, lookup and
    // authorize answer NOT_FOUND for names that cannot exist; the
    // administration slots answer INVALID for them.
    int verify(std::string_view user, std::string_view password);
    int lookup(std::string_view user, std::string_view property, std::string& value);
    int authorize(std::string_view authcid, std::string_view authzid);
    int user_exists(std::string_view user);  // OK, NOT_FOUND or UNAVAILABLE
    // OK with a hash of the stored password hash (a new password brings a
    // new salt, so a new stamp), NOT_FOUND or UNAVAILABLE.
    int credential_stamp(std::string_view user, uint64_t& stamp);
    int user_set(int mode, std::string_view user, std::string_view password);
    int user_delete(std::string_view user);
    int user_list(mailfw_user_fn each, void* user_data);

    UserDatabase& database() noexcept { return db_; }
    bool keeps_nt_hashes() const noexcept { return keep_nt_hashes_; }

    // The count an unknown user's dummy check uses: the one most stored
    // hashes have, so "no such user" costs what a real check costs even
    // after the configured count changed (refreshed every minute).
    uint32_t dummy_iterations() const noexcept { return dummy_iterations_.load(); }
    void refresh_dummy_cost();

private:
    void upgrade_hash(std::string_view user, std::string_view password, const std::string& encoded);
    // The NT hash of the new password, or "" (none kept: an old one must not
    // outlive a password change).
    void store_nt_hash(std::string_view user, std::string_view password);

    uint32_t iterations_;
    std::atomic<uint32_t> dummy_iterations_;
    std::atomic<int64_t> dummy_refreshed_s_{0};
    UserDatabase::Logger log_;
    UserDatabase db_;
    const bool keep_nt_hashes_;
    std::unique_ptr<plugin_common::LegacyCrypto> legacy_;  // MD4, when NT hashes are kept
};

}  // namespace mailfw::store_sqlite

#endif
