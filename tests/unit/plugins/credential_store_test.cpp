// store-sqlite behaviour without the C ABI: file creation, schema, users,
// properties, proxy rights, and that each hash keeps its own count.
#include "store-sqlite/credential_store.hpp"
#include "store-sqlite/password_hash.hpp"
#include "store-sqlite/schema.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <thread>

namespace {

using mailfw::store_sqlite::CredentialStore;
using mailfw::test::TempDir;

struct Logs {
    std::vector<std::string> lines;
    auto sink() {
        return [this](int, std::string_view m) { lines.emplace_back(m); };
    }
};

void quiet(int, std::string_view) {}

// Runs one SQL statement on the file from outside the store.
std::string query(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    std::string result;
    sqlite3_exec(
        db, sql.c_str(),
        [](void* r, int, char** v, char**) {
            *static_cast<std::string*>(r) = v[0] ? v[0] : "NULL";
            return 0;
        },
        &result, nullptr);
    sqlite3_close(db);
    return result;
}

TEST(StoreSqlite, CreatesDirectoryAndPrivateFile) {
    TempDir dir;
    const std::string path = dir / "a/b/users.db";
    Logs logs;
    CredentialStore store(path, 1000, logs.sink());
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((dir / "a/b").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_EQ(query(path, "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(query(path, "SELECT value FROM meta WHERE key='schema_version'"), "1");
    EXPECT_TRUE(logs.lines.empty());
}

TEST(StoreSqlite, UsersCanBeCreatedVerifiedUpdatedAndDeleted) {
    TempDir dir;
    Logs logs;
    CredentialStore store(dir / "users.db", 1000, logs.sink());
    EXPECT_EQ(store.verify("alice", "pw"), MAILFW_NOT_FOUND);
    EXPECT_EQ(store.user_set(MAILFW_USER_CREATE, "alice", "pw1"), MAILFW_OK);
    EXPECT_EQ(store.user_set(MAILFW_USER_CREATE, "alice", "other"), MAILFW_EXISTS);
    EXPECT_EQ(store.verify("alice", "pw1"), MAILFW_OK);
    EXPECT_EQ(store.verify("alice", "pw2"), MAILFW_DENIED);
    EXPECT_EQ(store.verify("Alice", "pw1"), MAILFW_NOT_FOUND);  // exact, case-sensitive

    EXPECT_EQ(store.user_set(MAILFW_USER_UPDATE, "alice", "pw2"), MAILFW_OK);
    EXPECT_EQ(store.verify("alice", "pw1"), MAILFW_DENIED);
    EXPECT_EQ(store.verify("alice", "pw2"), MAILFW_OK);
    EXPECT_EQ(store.user_set(MAILFW_USER_UPDATE, "bob", "pw"), MAILFW_NOT_FOUND);

    EXPECT_EQ(store.user_delete("alice"), MAILFW_OK);
    EXPECT_EQ(store.user_delete("alice"), MAILFW_NOT_FOUND);
    EXPECT_EQ(store.verify("alice", "pw2"), MAILFW_NOT_FOUND);
    EXPECT_TRUE(logs.lines.empty());
}

TEST(StoreSqlite, PasswordsAreStoredHashedWithTheConfiguredCount) {
    TempDir dir;
    const std::string path = dir / "users.db";
    {
        CredentialStore store(path, 1234, quiet);
        ASSERT_EQ(store.user_set(MAILFW_USER_CREATE, "alice", "hunter2"), MAILFW_OK);
    }
    const std::string stored = query(path, "SELECT password FROM users WHERE name='alice'");
    EXPECT_EQ(stored.rfind("$pbkdf2-sha256$1234$", 0), 0u) << stored;
    EXPECT_EQ(stored.find("hunter2"), std::string::npos);
    EXPECT_NE(query(path, "SELECT created FROM users WHERE name='alice'"), "0");

    // A new count applies to new passwords; the old hash still verifies and
    // moves to the new count at that successful login.
    Logs logs;
    CredentialStore store(path, 2000, logs.sink());
    ASSERT_EQ(store.user_set(MAILFW_USER_CREATE, "bob", "pw"), MAILFW_OK);
    EXPECT_EQ(query(path, "SELECT password FROM users WHERE name='bob'").rfind("$pbkdf2-sha256$2000$", 0), 0u);
    EXPECT_EQ(store.verify("alice", "wrong"), MAILFW_DENIED);
    EXPECT_EQ(query(path, "SELECT password FROM users WHERE name='alice'"), stored);  // only on success
    EXPECT_EQ(store.verify("alice", "hunter2"), MAILFW_OK);
    const std::string upgraded = query(path, "SELECT password FROM users WHERE name='alice'");
    EXPECT_EQ(upgraded.rfind("$pbkdf2-sha256$2000$", 0), 0u) << upgraded;
    EXPECT_EQ(store.verify("alice", "hunter2"), MAILFW_OK);
    ASSERT_FALSE(logs.lines.empty());
    EXPECT_NE(logs.lines.back().find("moved from 1234 to 2000"), std::string::npos);
}

TEST(StoreSqlite, UnknownUsersCostWhatMostStoredHashesCost) {
    // After lowering pbkdf2_iterations the stored hashes still have the old
    // count: the dummy check for an unknown user must take as long as theirs.
    TempDir dir;
    const std::string path = dir / "users.db";
    {
        CredentialStore old(path, 3000, quiet);
        for (const char* u : {"a", "b", "c"}) ASSERT_EQ(old.user_set(MAILFW_USER_CREATE, u, "pw"), MAILFW_OK);
    }
    {
        CredentialStore other(path, 1000, quiet);
        ASSERT_EQ(other.user_set(MAILFW_USER_CREATE, "d", "pw"), MAILFW_OK);
    }
    CredentialStore store(path, 1000, quiet);
    EXPECT_EQ(store.dummy_iterations(), 3000u);  // three users at 3000, one at 1000
    EXPECT_EQ(store.verify("ghost", "pw"), MAILFW_NOT_FOUND);
    // As users log in their hashes move to 1000, and so does the dummy cost.
    for (const char* u : {"a", "b"}) EXPECT_EQ(store.verify(u, "pw"), MAILFW_OK);
    store.refresh_dummy_cost();
    EXPECT_EQ(store.dummy_iterations(), 1000u);
    // With no users yet the configured count is used.
    TempDir empty;
    CredentialStore fresh(empty / "users.db", 4321, quiet);
    EXPECT_EQ(fresh.dummy_iterations(), 4321u);
}

TEST(StoreSqlite, BadNamesAreInvalidForAdministrationAndUnknownForLogin) {
    TempDir dir;
    CredentialStore store(dir / "users.db", 100, quiet);
    for (const std::string& bad : {std::string(), std::string(256, 'a'), std::string("a\nb"),
                                  std::string("a\0b", 3), std::string("a\x7f")}) {
        EXPECT_EQ(store.user_set(MAILFW_USER_CREATE, bad, "pw"), MAILFW_INVALID);
        EXPECT_EQ(store.user_delete(bad), MAILFW_INVALID);
        EXPECT_EQ(store.verify(bad, "pw"), MAILFW_NOT_FOUND);
    }
    EXPECT_EQ(store.user_set(MAILFW_USER_CREATE, std::string(255, 'a'), "pw"), MAILFW_OK);
    EXPECT_EQ(store.user_set(MAILFW_USER_CREATE, "carol", ""), MAILFW_INVALID);
    EXPECT_EQ(store.user_set(42, "carol", "pw"), MAILFW_INVALID);
}

TEST(StoreSqlite, ListIsSortedBytewise) {
    TempDir dir;
    CredentialStore store(dir / "users.db", 10, quiet);
    for (const char* u : {"carol", "Bob", "alice", "bob"}) store.user_set(MAILFW_USER_CREATE, u, "pw");
    std::vector<std::string> names;
    ASSERT_EQ(store.user_list(
                  [](void* ud, const char* u, size_t n) {
                      static_cast<std::vector<std::string>*>(ud)->emplace_back(u, n);
                  },
                  &names),
              MAILFW_OK);
    EXPECT_EQ(names, (std::vector<std::string>{"Bob", "alice", "bob", "carol"}));
}

TEST(StoreSqlite, PropertiesAndProxyRights) {
    TempDir dir;
    CredentialStore store(dir / "users.db", 10, quiet);
    store.user_set(MAILFW_USER_CREATE, "alice", "pw");
    const std::string blob("\x01\x00\xff", 3);
    ASSERT_EQ(store.database().set_property("alice", "nt-hash", blob), MAILFW_OK);
    std::string value;
    EXPECT_EQ(store.lookup("alice", "nt-hash", value), MAILFW_OK);
    EXPECT_EQ(value, blob);
    EXPECT_EQ(store.lookup("alice", "other", value), MAILFW_NOT_FOUND);
    EXPECT_EQ(store.lookup("bob", "nt-hash", value), MAILFW_NOT_FOUND);

    ASSERT_EQ(store.database().grant("alice", "sales"), MAILFW_OK);
    EXPECT_EQ(store.authorize("alice", "sales"), MAILFW_OK);
    EXPECT_EQ(store.authorize("sales", "alice"), MAILFW_NOT_FOUND);
    EXPECT_EQ(store.authorize("bob", "sales"), MAILFW_NOT_FOUND);

    // Deleting a user takes its properties and rights along.
    ASSERT_EQ(store.user_delete("alice"), MAILFW_OK);
    store.user_set(MAILFW_USER_CREATE, "alice", "pw");
    EXPECT_EQ(store.lookup("alice", "nt-hash", value), MAILFW_NOT_FOUND);
    EXPECT_EQ(store.authorize("alice", "sales"), MAILFW_NOT_FOUND);
}

TEST(StoreSqlite, RefusesAFileFromANewerSchema) {
    TempDir dir;
    const std::string path = dir / "users.db";
    { CredentialStore store(path, 10, quiet); }
    query(path, "UPDATE meta SET value='7' WHERE key='schema_version'");
    try {
        CredentialStore store(path, 10, quiet);
        FAIL() << "opened a schema-7 file";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find(path), std::string::npos) << what;
        EXPECT_NE(what.find("schema version 7"), std::string::npos) << what;
        EXPECT_NE(what.find("path ="), std::string::npos) << what;
    }
}

TEST(StoreSqlite, RefusesAForeignDatabase) {
    TempDir dir;
    const std::string path = dir / "other.db";
    query(path, "CREATE TABLE users(id INTEGER)");
    EXPECT_THROW(CredentialStore(path, 10, quiet), std::runtime_error);
    EXPECT_EQ(query(path, "SELECT count(*) FROM sqlite_master WHERE name='meta'"), "0");  // rolled back
}

TEST(StoreSqlite, OpenErrorsNameThePathAndTheFix) {
    TempDir dir;
    std::ofstream(dir / "file") << "x";
    const std::string path = dir / "file/users.db";
    try {
        CredentialStore store(path, 10, quiet);
        FAIL();
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_EQ(what.rfind("store-sqlite: ", 0), 0u) << what;
        EXPECT_NE(what.find(dir / "file"), std::string::npos) << what;
        EXPECT_NE(what.find("check `path =` in [store-sqlite]"), std::string::npos) << what;
    }
    // Not a database at all.
    std::ofstream(dir / "junk.db") << std::string(4096, 'j');
    EXPECT_THROW(CredentialStore(dir / "junk.db", 10, quiet), std::runtime_error);
}

TEST(StoreSqlite, MalformedStoredHashIsUnavailableAndLogged) {
    TempDir dir;
    const std::string path = dir / "users.db";
    Logs logs;
    CredentialStore store(path, 10, logs.sink());
    store.user_set(MAILFW_USER_CREATE, "alice", "pw");
    query(path, "UPDATE users SET password='plain-text' WHERE name='alice'");
    EXPECT_EQ(store.verify("alice", "pw"), MAILFW_UNAVAILABLE);
    ASSERT_EQ(logs.lines.size(), 1u);
    EXPECT_NE(logs.lines[0].find("alice"), std::string::npos);
    EXPECT_EQ(logs.lines[0].find("plain-text"), std::string::npos);
}

TEST(StoreSqlite, ManyThreadsAtOnce) {
    TempDir dir;
    Logs logs;
    CredentialStore store(dir / "users.db", 200, logs.sink());
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            const std::string me = "user" + std::to_string(t);
            if (store.user_set(MAILFW_USER_CREATE, me, "pw" + me) != MAILFW_OK) ++wrong;
            for (int i = 0; i < 20; ++i) {
                if (store.verify(me, "pw" + me) != MAILFW_OK) ++wrong;
                if (store.verify(me, "nope") != MAILFW_DENIED) ++wrong;
                if (store.verify("ghost", "nope") != MAILFW_NOT_FOUND) ++wrong;
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_TRUE(logs.lines.empty());
}

TEST(StoreSqlite, TwoConnectionsShareTheFile) {
    // mailfw-admin changes a password while mailfwd has the file open.
    TempDir dir;
    const std::string path = dir / "users.db";
    CredentialStore server(path, 10, quiet);
    CredentialStore admin(path, 10, quiet);
    ASSERT_EQ(admin.user_set(MAILFW_USER_CREATE, "alice", "pw"), MAILFW_OK);
    EXPECT_EQ(server.verify("alice", "pw"), MAILFW_OK);
}

}  // namespace
