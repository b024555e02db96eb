#include "modules/checkout/damaged_journal.h"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "checkout-edge/module.h"
#include "common/files.h"
#include "common/sqlite_pages.h"
#include "modules/checkout/journal.h"

namespace ce {
namespace {

struct ReadOnly {
  sqlite3* db = nullptr;
  explicit ReadOnly(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close(db);
      db = nullptr;
    } else {
      sqlite3_busy_timeout(db, 2000);
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
using Rows = std::map<long long, nlohmann::json>;

Rows readable_rows(sqlite3* db, const std::string& table, std::string& stopped) {
  Rows by_rowid;
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
  return by_rowid;
}

struct Column {
  std::string name, type;
  bool not_null = false, rowid = false;  // rowid: INTEGER PRIMARY KEY, stored as NULL
};

std::vector<Column> columns_of(sqlite3* db, const std::string& table) {
  std::vector<Column> columns;
  sqlite3_stmt* s = nullptr;
  std::string sql = "PRAGMA table_info(" + table + ")";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK) {
    while (sqlite3_step(s) == SQLITE_ROW) {
      auto text = [&](int i) {
        const unsigned char* t = sqlite3_column_text(s, i);
        return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
      };
      Column c{text(1), text(2), sqlite3_column_int(s, 3) != 0, false};
      c.rowid = sqlite3_column_int(s, 5) == 1 && c.type == "INTEGER";
      columns.push_back(std::move(c));
    }
  }
  sqlite3_finalize(s);
  return columns;
}

// Whether a row read off a page fits the table: as many values or fewer
// (columns added later have their defaults), each of the column's kind.
bool fits(const PagedRow& row, const std::vector<Column>& columns) {
  if (columns.empty() || row.values.size() > columns.size() ||
      row.values.size() * 2 < columns.size())
    return false;
  for (size_t i = 0; i < row.values.size(); ++i) {
    const auto& v = row.values[i];
    const Column& c = columns[i];
    if (c.rowid) {
      if (!v.is_null()) return false;
    } else if (v.is_null()) {
      if (c.not_null) return false;
    } else if (c.type == "INTEGER" ? !v.is_number_integer()
               : c.type == "TEXT"  ? !v.is_string()
               : c.type == "REAL"  ? !v.is_number()
                                   : false) {
      return false;
    }
  }
  return true;
}

nlohmann::json as_object(const PagedRow& row, const std::vector<Column>& columns) {
  nlohmann::json o = nlohmann::json::object();
  for (size_t i = 0; i < row.values.size() && i < columns.size(); ++i)
    o[columns[i].name] = columns[i].rowid ? nlohmann::json(row.rowid) : row.values[i];
  return o;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

constexpr const char* kTables[] = {"baskets", "basket_lines", "events"};

// Adds the rows SQLite could not reach but the file's pages still hold:
// those of tables whose root or parent page was lost, and of pages whose
// table is known only by the shape of their rows. `shapes_from`: a journal
// to take the tables' columns from when the damaged file's schema is lost.
void add_rows_on_pages(const std::string& file, const std::string& wal,
                       const std::string& shapes_from, std::map<std::string, Rows>& tables,
                       nlohmann::json& exported) {
  PagedFile paged = read_sqlite_pages(file, wal);
  sqlite3* schema = nullptr;
  sqlite3_open(":memory:", &schema);
  for (const auto& t : paged.tables) sqlite3_exec(schema, t.sql.c_str(), nullptr, nullptr, nullptr);
  ReadOnly current(shapes_from);
  std::map<std::string, std::vector<Column>> columns;
  for (const char* table : kTables) {
    columns[table] = columns_of(schema, table);
    if (columns[table].empty() && current.db) columns[table] = columns_of(current.db, table);
  }
  sqlite3_close(schema);
  nlohmann::json from_pages = nlohmann::json::object();
  auto keep = [&](const std::string& table, const PagedRow& row) {
    if (!fits(row, columns[table])) return false;
    if (tables[table].emplace(row.rowid, as_object(row, columns[table])).second)
      from_pages[table] = from_pages.value(table, 0) + 1;
    return true;
  };
  for (const auto& t : paged.tables) {
    if (!columns.count(t.name)) continue;
    for (const auto& [rowid, row] : t.rows) keep(t.name, row);
  }
  nlohmann::json unplaced = nlohmann::json::array();
  for (const auto& page : paged.orphan_pages) {
    std::vector<std::string> candidates;
    for (const char* table : kTables) {
      bool all = std::all_of(page.begin(), page.end(),
                             [&](const PagedRow& r) { return fits(r, columns[table]); });
      if (all) candidates.push_back(table);
    }
    for (const auto& row : page) {
      if (candidates.size() == 1 && keep(candidates[0], row)) continue;
      unplaced.push_back({{"rowid", row.rowid}, {"values", row.values}});
    }
  }
  if (!from_pages.empty()) exported["readFromPages"] = from_pages;
  if (!unplaced.empty()) exported["rowsOfNoKnownTable"] = unplaced;
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
  // Locked (a previous checkout still closing it, a reader) is not damage:
  // opening the journal waits for it, or fails and the module starts again.
  int code = sqlite3_errcode(r.db) & 0xff;
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return "";
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
  std::map<std::string, Rows> tables;
  std::string file, wal;
  bool is_file = fs::is_regular_file(path);
  if (is_file) {
    file = file_bytes(path);
    wal = file_bytes(path + "-wal");
    ReadOnly r(path);
    if (r.db) {
      for (const char* table : kTables) tables[table] = readable_rows(r.db, table, out.stopped);
    } else {
      out.stopped = "SQLite cannot open it";
    }
  } else {
    out.stopped = "it is not a file";
  }
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
  if (is_file) add_rows_on_pages(file, wal, path, tables, exported);
  for (const char* table : kTables) {
    exported[table] = nlohmann::json::array();
    for (auto& [rowid, row] : tables[table]) exported[table].push_back(std::move(row));
  }
  out.baskets = exported["baskets"].size();
  out.lines = exported["basket_lines"].size();
  out.events = exported["events"].size();
  if (!out.stopped.empty()) exported["stopped"] = out.stopped;
  // Text off a damaged page may not be UTF-8: replaced, not refused.
  write_file_atomically(
      out.exported, exported.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  return out;
}

}  // namespace ce
