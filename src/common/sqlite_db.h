// A SQLite connection whose errors name the file and what it holds
// ("basket journal /var/.../journal.db: disk I/O error").
#pragma once

#include <sqlite3.h>

#include <stdexcept>
#include <string>

namespace ce {

// Carries SQLite's result code: SQLITE_FULL is a full disk, SQLITE_CORRUPT
// or SQLITE_NOTADB a damaged file.
struct SqliteError : std::runtime_error {
  SqliteError(const std::string& message, int code) : std::runtime_error(message), code(code) {}
  int code;
};

class SqliteDb {
 public:
  // `what` names the file's purpose in error messages.
  SqliteDb(const std::string& path, std::string what);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(const char* sql) const;
  [[noreturn]] void fail() const;  // throws with SQLite's last error
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::string label_;
};

struct SqlStatement {
  sqlite3_stmt* s = nullptr;
  SqlStatement(const SqliteDb& db, const char* sql);
  ~SqlStatement() { sqlite3_finalize(s); }
  SqlStatement(const SqlStatement&) = delete;
  SqlStatement& operator=(const SqlStatement&) = delete;
};

}  // namespace ce
