#include "modules/checkout/damaged_journal.h"

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "checkout-edge/module.h"
#include "common/files.h"
#include "modules/checkout/journal.h"

namespace ce {
namespace {

struct ReadOnly {
  sqlite3* db = nullptr;
  explicit ReadOnly(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close(db);
      db = nullptr;
    }
  }
  ~ReadOnly() { sqlite3_close(db); }
};

nlohmann::json column_value(sqlite3_stmt* s, int i) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER:
      return sqlite3_column_int64(s, i);
    case SQLITE_FLOAT:
      return sqlite3_column_double(s, i);
    case SQLITE_NULL:
      return nullptr;
    default: {
      const unsigned char* t = sqlite3_column_text(s, i);
      return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
    }
  }
}

// Reads rows until SQLite gives up, from the first row on and from the last
// one back, so that one bad page loses only the rows on it; `stopped` says
// where and why.
nlohmann::json readable_rows(sqlite3* db, const std::string& table, std::string& stopped) {
  std::map<long long, nlohmann::json> by_rowid;
  for (const char* order : {"ASC", "DESC"}) {
    sqlite3_stmt* s = nullptr;
    std::string sql = "SELECT rowid, * FROM " + table + " ORDER BY rowid " + order;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      if (stopped.empty()) stopped = table + ": " + sqlite3_errmsg(db);
      sqlite3_finalize(s);
      break;
    }
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      nlohmann::json row = nlohmann::json::object();
      for (int i = 1; i < sqlite3_column_count(s); ++i)
        row[sqlite3_column_name(s, i)] = column_value(s, i);
      by_rowid.emplace(sqlite3_column_int64(s, 0), std::move(row));
    }
    if (rc != SQLITE_DONE && stopped.empty())
      stopped = table + ": " + sqlite3_errmsg(db) + " (the rows on the damaged pages are lost)";
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE) break;  // read whole from the start: no need to read back
  }
  nlohmann::json rows = nlohmann::json::array();
  for (auto& [rowid, row] : by_rowid) rows.push_back(std::move(row));
  return rows;
}

}  // namespace

std::string journal_damage(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return "";
  if (std::filesystem::is_directory(status)) return path + " is a folder, not a journal file";
  if (!std::filesystem::is_regular_file(status)) return path + " is not a regular file";
  // The basket mark beside it: the open basket's number and how many lines
  // it had at the last change. A journal that holds fewer lost them.
  long long basket = 0, lines = 0;
  std::ifstream(path + ".basket-mark") >> basket >> lines;
  if (std::filesystem::file_size(path, ec) == 0)
    return lines > 0 ? path + " is empty, but basket " + std::to_string(basket) + " had " +
                           std::to_string(lines) + " lines in it: the open basket was lost"
                     : "";  // new; emptied ones without an open basket are caught at start
  ReadOnly r(path);
  if (!r.db) return "SQLite cannot open " + path;
  sqlite3_stmt* s = nullptr;
  std::string result;
  if (sqlite3_prepare_v2(r.db, "PRAGMA quick_check", -1, &s, nullptr) != SQLITE_OK) {
    result = sqlite3_errmsg(r.db);
  } else {
    int rc = sqlite3_step(s);
    const unsigned char* t = rc == SQLITE_ROW ? sqlite3_column_text(s, 0) : nullptr;
    std::string answer = t ? reinterpret_cast<const char*>(t) : sqlite3_errmsg(r.db);
    if (answer != "ok") result = answer;
  }
  sqlite3_finalize(s);
  if (result.empty() && lines > 0) {
    long long held = 0;
    if (sqlite3_prepare_v2(r.db, "SELECT count(*) FROM basket_lines WHERE basket_id = ?", -1, &s,
                           nullptr) == SQLITE_OK) {
      sqlite3_bind_int64(s, 1, basket);
      if (sqlite3_step(s) == SQLITE_ROW) held = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    if (held < lines)
      result = "it holds " + std::to_string(held) + " of the " + std::to_string(lines) +
               " lines basket " + std::to_string(basket) +
               " had (emptied or replaced): the open basket was lost";
  }
  return result.empty() ? "" : path + ": " + result;
}

RecoveredJournal recover_journal(const std::string& path, long long basket_mark) {
  namespace fs = std::filesystem;
  RecoveredJournal out;
  std::string stem = path + ".damaged-" + std::to_string(now_ms());
  out.kept_as = stem;
  out.exported = stem + ".json";
  nlohmann::json exported{{"journal", path}, {"keptAs", stem}};
  if (fs::is_regular_file(path)) {
    ReadOnly r(path);
    if (r.db) {
      for (const char* table : {"baskets", "basket_lines", "events"})
        exported[table] = readable_rows(r.db, table, out.stopped);
    } else {
      out.stopped = "SQLite cannot open it";
    }
  } else {
    out.stopped = "it is not a file";
  }
  out.baskets = exported.value("baskets", nlohmann::json::array()).size();
  out.lines = exported.value("basket_lines", nlohmann::json::array()).size();
  out.events = exported.value("events", nlohmann::json::array()).size();
  if (!out.stopped.empty()) exported["stopped"] = out.stopped;
  write_file_atomically(out.exported, exported.dump(2) + "\n");
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    if (!fs::exists(path + suffix, ec)) continue;
    fs::rename(path + suffix, stem + suffix, ec);
    if (ec)
      throw std::runtime_error("cannot keep the damaged journal aside as " + stem + suffix + ": " +
                               ec.message());
  }
  Journal fresh(path);
  fresh.number_baskets_after(basket_mark);
  return out;
}

}  // namespace ce
