#include "schema.hpp"

#include <charconv>
#include <iterator>
#include <stdexcept>
#include <string_view>

namespace mailfw::store_sqlite {

namespace {

// migrations[i] turns a version-i file into a version-(i+1) file. Append only.
constexpr const char* migrations[] = {
    // 0 -> 1: the first layout. Plain CREATE TABLE: a foreign file that
    // already has such tables fails here instead of being misread.
    "CREATE TABLE users("
    "  name TEXT PRIMARY KEY,"
    "  password TEXT NOT NULL,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE user_properties("
    "  name TEXT,"
    "  property TEXT,"
    "  value BLOB,"
    "  PRIMARY KEY(name, property));"
    "CREATE TABLE authorizations("
    "  authcid TEXT,"
    "  authzid TEXT,"
    "  PRIMARY KEY(authcid, authzid));",
};
static_assert(std::size(migrations) == schema_version, "one migration per schema version");

std::string fix_hint() { return "; check `path =` in [store-sqlite]"; }

void exec(sqlite3* db, const char* sql, const std::string& path, std::string_view doing) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK) return;
    std::string why = msg ? msg : sqlite3_errmsg(db);
    sqlite3_free(msg);
    throw std::runtime_error("store-sqlite: " + path + ": cannot " + std::string(doing) + ": " + why +
                             fix_hint());
}

// Rolls the schema transaction back unless it was committed.
struct Transaction {
    sqlite3* db;
    bool done = false;
    ~Transaction() {
        if (!done) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
};

}  // namespace

int read_schema_version(sqlite3* db, const std::string& path) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &stmt,
                           nullptr) != SQLITE_OK)
        throw std::runtime_error("store-sqlite: " + path + ": cannot read the schema version: " +
                                 sqlite3_errmsg(db) + fix_hint());
    int version = 0;
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        const std::string_view v = text ? text : "";
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
        if (ec != std::errc() || end != v.data() + v.size() || version < 1) version = -1;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        throw std::runtime_error("store-sqlite: " + path + ": cannot read the schema version: " +
                                 sqlite3_errmsg(db) + fix_hint());
    if (version < 0)
        throw std::runtime_error("store-sqlite: " + path +
                                 ": meta.schema_version is not a positive number; the file is "
                                 "damaged or not a store-sqlite database" + fix_hint());
    return version;
}

void prepare_schema(sqlite3* db, const std::string& path) {
    // IMMEDIATE: two processes starting at once must not both migrate.
    exec(db, "BEGIN IMMEDIATE", path, "start the schema transaction");
    Transaction tx{db};
    exec(db, "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)", path,
         "create the meta table");
    const int version = read_schema_version(db, path);
    if (version > schema_version)
        throw std::runtime_error("store-sqlite: " + path + " has schema version " +
                                 std::to_string(version) + " but this plugin knows only up to " +
                                 std::to_string(schema_version) +
                                 "; upgrade mailfw, or point `path =` in [store-sqlite] at another file");
    if (version == schema_version) {
        exec(db, "COMMIT", path, "finish the schema transaction");
        tx.done = true;
        return;
    }
    for (int v = version; v < schema_version; ++v)
        exec(db, migrations[v], path,
             "upgrade the schema to version " + std::to_string(v + 1) +
                 " (is this file a store-sqlite database?)");
    const std::string record = "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', '" +
                               std::to_string(schema_version) + "')";
    exec(db, record.c_str(), path, "record the schema version");
    exec(db, "COMMIT", path, "finish the schema transaction");
    tx.done = true;
}

}  // namespace mailfw::store_sqlite
