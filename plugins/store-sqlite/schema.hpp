// The layout of the SQLite file and its upgrades. `meta.schema_version` says
// which layout a file has; each step in the migration list lifts a file by
// one version, so an old file is brought forward at start-up.
#ifndef MAILFW_STORE_SQLITE_SCHEMA_HPP
#define MAILFW_STORE_SQLITE_SCHEMA_HPP

#include <sqlite3.h>

#include <string>

namespace mailfw::store_sqlite {

inline constexpr int schema_version = 1;

// Creates or upgrades the schema in one transaction. Throws
// std::runtime_error with a one-line, operator-facing reason (naming `path`)
// when the file is newer than this plugin or is not a store-sqlite file.
void prepare_schema(sqlite3* db, const std::string& path);

// The version recorded in the file; 0 for a file without one.
int read_schema_version(sqlite3* db, const std::string& path);

}  // namespace mailfw::store_sqlite

#endif
