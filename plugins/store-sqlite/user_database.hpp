// The SQLite file behind the store: one connection, serialized by a mutex
// (statement sequences must not interleave), WAL journal so readers in other
// processes (mailfw-admin) do not block, busy timeout 5 s. It knows rows,
// not passwords: hashing happens in the caller, outside the lock.
#ifndef MAILFW_STORE_SQLITE_USER_DATABASE_HPP
#define MAILFW_STORE_SQLITE_USER_DATABASE_HPP

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mailfw::store_sqlite {

class UserDatabase {
public:
    // (level as mailfw_log_level, message): where SQLite failures are told.
    using Logger = std::function<void(int, std::string_view)>;

    // Creates the parent directory (0700) and the file (0600) when missing,
    // then prepares the schema. Throws std::runtime_error with the one-line
    // create() error naming the path and the fix.
    UserDatabase(const std::string& path, Logger log);
    ~UserDatabase();
    UserDatabase(const UserDatabase&) = delete;
    UserDatabase& operator=(const UserDatabase&) = delete;

    // Each returns a mailfw_status; SQLite failures are logged and become
    // MAILFW_UNAVAILABLE.
    int password_hash(std::string_view user, std::string& encoded);
    int insert_user(std::string_view user, std::string_view encoded, int64_t created);  // EXISTS
    int update_password(std::string_view user, std::string_view encoded);               // NOT_FOUND
    // Also drops the user's properties and the proxy rights it held.
    int delete_user(std::string_view user);
    int property(std::string_view user, std::string_view name, std::string& value);
    int authorization(std::string_view authcid, std::string_view authzid);  // OK / NOT_FOUND
    int list_users(std::vector<std::string>& names);  // sorted bytewise
    int password_hashes(std::vector<std::string>& encoded);  // every user's, any order
    // Sets the hash only while it still is `expected` (another process, e.g.
    // mailfw-admin, may have changed it meanwhile): OK or NOT_FOUND.
    int replace_password(std::string_view user, std::string_view expected, std::string_view encoded);

    // Administration helpers for properties and proxy rights (tests, tools).
    int set_property(std::string_view user, std::string_view name, std::string_view value);
    int grant(std::string_view authcid, std::string_view authzid);

    const std::string& path() const noexcept { return path_; }

private:
    int fail(std::string_view doing);

    std::string path_;
    Logger log_;
    std::mutex mutex_;
    sqlite3* db_ = nullptr;
};

}  // namespace mailfw::store_sqlite

#endif
