#include "common/sqlite_db.h"

#include <stdexcept>

namespace ce {

SqliteDb::SqliteDb(const std::string& path, std::string what) : label_(what + " " + path) {
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error("cannot open the " + label_ + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 2000);
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

void SqliteDb::fail() const {
  throw SqliteError(label_ + ": " + sqlite3_errmsg(db_), sqlite3_extended_errcode(db_) & 0xff);
}

void SqliteDb::exec(const char* sql) const {
  char* err = nullptr;
  if (int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw SqliteError(label_ + ": " + msg, rc & 0xff);
  }
}

SqlStatement::SqlStatement(const SqliteDb& db, const char* sql) {
  if (sqlite3_prepare_v2(db.handle(), sql, -1, &s, nullptr) != SQLITE_OK) db.fail();
}

}  // namespace ce
