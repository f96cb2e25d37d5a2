#include "user_database.hpp"

#include "schema.hpp"

#include <mailfw/plugin.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mailfw::store_sqlite {

namespace {

std::string fix_hint() {
    return "; check `path =` in [store-sqlite] and the directory's permissions";
}

std::string errno_text(int e) {
    char buf[256];
    return strerror_r(e, buf, sizeof buf);  // the GNU variant returns the text
}

// mkdir -p for the file's parent, new directories 0700: the store holds
// password hashes, nobody else needs to list it.
void make_parent_directories(const std::string& path) {
    for (size_t slash = path.find('/', 1); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
        const std::string dir = path.substr(0, slash);
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
            throw std::runtime_error("store-sqlite: cannot create directory " + dir + ": " +
                                     errno_text(errno) + fix_hint());
    }
}

// Creating the file ourselves gives it mode 0600; SQLite would use 0644.
// Its -wal and -shm files copy the database file's mode.
void create_private_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        throw std::runtime_error("store-sqlite: cannot open " + path + ": " + errno_text(errno) +
                                 fix_hint());
    ::close(fd);
}

// A prepared statement that finalizes itself; bind helpers take views.
class Statement {
public:
    Statement(sqlite3* db, const char* sql) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    explicit operator bool() const noexcept { return stmt_ != nullptr; }
    bool bind(int i, std::string_view text) {
        return sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()),
                                 SQLITE_TRANSIENT) == SQLITE_OK;
    }
    bool bind_blob(int i, std::string_view bytes) {
        return sqlite3_bind_blob(stmt_, i, bytes.data(), static_cast<int>(bytes.size()),
                                 SQLITE_TRANSIENT) == SQLITE_OK;
    }
    bool bind(int i, int64_t v) { return sqlite3_bind_int64(stmt_, i, v) == SQLITE_OK; }
    int step() { return sqlite3_step(stmt_); }
    std::string column(int i) {
        const void* p = sqlite3_column_blob(stmt_, i);
        const int n = sqlite3_column_bytes(stmt_, i);
        return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
    }

private:
    sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

UserDatabase::UserDatabase(const std::string& path, Logger log) : path_(path), log_(std::move(log)) {
    if (path.empty())
        throw std::runtime_error("store-sqlite: `path =` in [store-sqlite] is empty; set it to the "
                                 "user database file, e.g. /var/lib/mailfw/users.db");
    make_parent_directories(path);
    create_private_file(path);

    // NOMUTEX: our own mutex serializes every use of the connection.
    const int rc = sqlite3_open_v2(path.c_str(), &db_,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw std::runtime_error("store-sqlite: cannot open " + path + ": " + why + fix_hint());
    }
    try {
        sqlite3_extended_result_codes(db_, 1);
        sqlite3_busy_timeout(db_, 5000);
        // secure_delete: removed hashes are overwritten, not left in free pages.
        char* msg = nullptr;
        if (sqlite3_exec(db_, "PRAGMA journal_mode=WAL; PRAGMA secure_delete=ON", nullptr, nullptr,
                         &msg) != SQLITE_OK) {
            const std::string why = msg ? msg : sqlite3_errmsg(db_);
            sqlite3_free(msg);
            throw std::runtime_error("store-sqlite: cannot use " + path + ": " + why + fix_hint());
        }
        prepare_schema(db_, path);
    } catch (...) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw;
    }

    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
        log_(MAILFW_LOG_WARNING, path +
                                     " is readable by other users; chmod 600 it (it holds password hashes)");
}

UserDatabase::~UserDatabase() { sqlite3_close(db_); }

int UserDatabase::fail(std::string_view doing) {
    log_(MAILFW_LOG_ERROR,
         path_ + ": cannot " + std::string(doing) + ": " + sqlite3_errmsg(db_));
    return MAILFW_UNAVAILABLE;
}

int UserDatabase::password_hash(std::string_view user, std::string& encoded) {
    std::lock_guard lock(mutex_);
    Statement st(db_, "SELECT password FROM users WHERE name = ?");
    if (!st || !st.bind(1, user)) return fail("look up a user");
    switch (st.step()) {
        case SQLITE_ROW:
            encoded = st.column(0);
            return MAILFW_OK;
        case SQLITE_DONE:
            return MAILFW_NOT_FOUND;
        default:
            return fail("look up a user");
    }
}

int UserDatabase::insert_user(std::string_view user, std::string_view encoded, int64_t created) {
    std::lock_guard lock(mutex_);
    Statement st(db_, "INSERT INTO users(name, password, created) VALUES(?, ?, ?)");
    if (!st || !st.bind(1, user) || !st.bind(2, encoded) || !st.bind(3, created))
        return fail("add a user");
    const int rc = st.step();
    if (rc == SQLITE_DONE) return MAILFW_OK;
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) return MAILFW_EXISTS;
    return fail("add a user");
}

int UserDatabase::update_password(std::string_view user, std::string_view encoded) {
    std::lock_guard lock(mutex_);
    Statement st(db_, "UPDATE users SET password = ? WHERE name = ?");
    if (!st || !st.bind(1, encoded) || !st.bind(2, user)) return fail("change a password");
    if (st.step() != SQLITE_DONE) return fail("change a password");
    return sqlite3_changes(db_) > 0 ? MAILFW_OK : MAILFW_NOT_FOUND;
}

int UserDatabase::delete_user(std::string_view user) {
    std::lock_guard lock(mutex_);
    if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
        return fail("delete a user");
    const char* const sql[] = {"DELETE FROM users WHERE name = ?",
                               "DELETE FROM user_properties WHERE name = ?",
                               "DELETE FROM authorizations WHERE authcid = ?"};
    bool found = false;
    for (const char* s : sql) {
        Statement st(db_, s);
        if (!st || !st.bind(1, user) || st.step() != SQLITE_DONE) {
            const int r = fail("delete a user");
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            return r;
        }
        if (s == sql[0]) found = sqlite3_changes(db_) > 0;
    }
    if (!found) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        return MAILFW_NOT_FOUND;
    }
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
        const int r = fail("delete a user");
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        return r;
    }
    return MAILFW_OK;
}

int UserDatabase::property(std::string_view user, std::string_view name, std::string& value) {
    std::lock_guard lock(mutex_);
    Statement st(db_, "SELECT value FROM user_properties WHERE name = ? AND property = ?");
    if (!st || !st.bind(1, user) || !st.bind(2, name)) return fail("look up a property");
    switch (st.step()) {
        case SQLITE_ROW:
            value = st.column(0);
            return MAILFW_OK;
        case SQLITE_DONE:
            return MAILFW_NOT_FOUND;
        default:
            return fail("look up a property");
    }
}

int UserDatabase::authorization(std::string_view authcid, std::string_view authzid) {
    std::lock_guard lock(mutex_);
    Statement st(db_, "SELECT 1 FROM authorizations WHERE authcid = ? AND authzid = ?");
    if (!st || !st.bind(1, authcid) || !st.bind(2, authzid)) return fail("look up a proxy right");
    switch (st.step()) {
        case SQLITE_ROW:
            return MAILFW_OK;
        case SQLITE_DONE:
            return MAILFW_NOT_FOUND;
        default:
            return fail("look up a proxy right");
    }
}

int UserDatabase::list_users(std::vector<std::string>& names) {
    std::lock_guard lock(mutex_);
    // BINARY collation: memcmp order, the same order as exact comparison.
    Statement st(db_, "SELECT name FROM users ORDER BY name");
    if (!st) return fail("list users");
    for (;;) {
        const int rc = st.step();
        if (rc == SQLITE_DONE) return MAILFW_OK;
        if (rc != SQLITE_ROW) return fail("list users");
        names.push_back(st.column(0));
    }
}

int UserDatabase::password_hashes(std::vector<std::string>& encoded) {
    std::lock_guard lock(mutex_);
    Statement st(db_, "SELECT password FROM users");
    if (!st) return fail("read the password hashes");
    for (;;) {
        const int rc = st.step();
        if (rc == SQLITE_DONE) return MAILFW_OK;
        if (rc != SQLITE_ROW) return fail("read the password hashes");
        encoded.push_back(st.column(0));
    }
}

int UserDatabase::replace_password(std::string_view user, std::string_view expected, std::string_view encoded) {
    std::lock_guard lock(mutex_);
    Statement st(db_, "UPDATE users SET password = ? WHERE name = ? AND password = ?");
    if (!st || !st.bind(1, encoded) || !st.bind(2, user) || !st.bind(3, expected)) return fail("upgrade a password hash");
    if (st.step() != SQLITE_DONE) return fail("upgrade a password hash");
    return sqlite3_changes(db_) > 0 ? MAILFW_OK : MAILFW_NOT_FOUND;
}

int UserDatabase::set_property(std::string_view user, std::string_view name, std::string_view value) {
    std::lock_guard lock(mutex_);
    Statement st(db_, "INSERT OR REPLACE INTO user_properties(name, property, value) VALUES(?, ?, ?)");
    if (!st || !st.bind(1, user) || !st.bind(2, name) || !st.bind_blob(3, value) ||
        st.step() != SQLITE_DONE)
        return fail("set a property");
    return MAILFW_OK;
}

int UserDatabase::grant(std::string_view authcid, std::string_view authzid) {
    std::lock_guard lock(mutex_);
    Statement st(db_, "INSERT OR IGNORE INTO authorizations(authcid, authzid) VALUES(?, ?)");
    if (!st || !st.bind(1, authcid) || !st.bind(2, authzid) || st.step() != SQLITE_DONE)
        return fail("grant a proxy right");
    return MAILFW_OK;
}

}  // namespace mailfw::store_sqlite
