#include "credential_store.hpp"

#include "password_hash.hpp"
#include "user_name.hpp"

#include <mailfw/plugin.hpp>

#include <ctime>
#include <vector>

namespace mailfw::store_sqlite {

CredentialStore::CredentialStore(const std::string& path, uint32_t iterations,
                                 UserDatabase::Logger log)
    : iterations_(iterations), log_(log), db_(path, std::move(log)) {}

int CredentialStore::verify(std::string_view user, std::string_view password) {
    std::string encoded;
    const int found = valid_user_name(user) ? db_.password_hash(user, encoded) : MAILFW_NOT_FOUND;
    if (found == MAILFW_NOT_FOUND) {
        // Spend the time a real check takes, so timing does not tell which
        // names exist.
        dummy_check(password, iterations_);
        return MAILFW_NOT_FOUND;
    }
    if (found != MAILFW_OK) return found;
    switch (check_password(password, encoded)) {  // the slow part, outside the lock
        case HashCheck::Match:
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

int CredentialStore::authorize(std::string_view authcid, std::string_view authzid) {
    if (!valid_user_name(authcid) || !valid_user_name(authzid)) return MAILFW_NOT_FOUND;
    return db_.authorization(authcid, authzid);
}

int CredentialStore::user_set(int mode, std::string_view user, std::string_view password) {
    if (!valid_user_name(user) || password.empty()) return MAILFW_INVALID;
    if (mode != MAILFW_USER_CREATE && mode != MAILFW_USER_UPDATE) return MAILFW_INVALID;
    const std::string encoded = hash_password(password, iterations_);  // outside the lock
    if (mode == MAILFW_USER_CREATE)
        return db_.insert_user(user, encoded, static_cast<int64_t>(std::time(nullptr)));
    return db_.update_password(user, encoded);
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
