#include "modules/checkout/journal.h"

#include <sqlite3.h>

#include <stdexcept>

namespace ce {

namespace {
struct Statement {
  sqlite3_stmt* s = nullptr;
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("journal: ") + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(s); }
};
}  // namespace

Journal::Journal(const std::string& path) : path_(path) {
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK)
    throw std::runtime_error("cannot open the basket journal " + path + ": " +
                             (db_ ? sqlite3_errmsg(db_) : "out of memory"));
  sqlite3_busy_timeout(db_, 2000);
  // FULL: a line the shopper heard announced is on disk before we say it.
  exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  exec(R"(CREATE TABLE IF NOT EXISTS basket_lines (
            line_no INTEGER PRIMARY KEY AUTOINCREMENT,
            scan_id TEXT NOT NULL UNIQUE,
            created_ms INTEGER NOT NULL,
            product_id TEXT NOT NULL,
            name TEXT NOT NULL,
            grams INTEGER NOT NULL,
            quantity INTEGER NOT NULL,
            unit_price_minor INTEGER NOT NULL,
            by_weight INTEGER NOT NULL,
            price_minor INTEGER NOT NULL,
            currency TEXT NOT NULL,
            probability REAL NOT NULL))");
  exec(
      "CREATE TABLE IF NOT EXISTS scale_state (id INTEGER PRIMARY KEY CHECK (id = 1), grams "
      "INTEGER)");
}

void Journal::set_item_on_scale(std::optional<int> grams) {
  Statement st(db_, "INSERT OR REPLACE INTO scale_state (id, grams) VALUES (1, ?)");
  if (grams)
    sqlite3_bind_int(st.s, 1, *grams);
  else
    sqlite3_bind_null(st.s, 1);
  if (sqlite3_step(st.s) != SQLITE_DONE)
    throw std::runtime_error("basket journal " + path_ + ": " + sqlite3_errmsg(db_));
}

std::optional<int> Journal::item_on_scale() const {
  Statement st(db_, "SELECT grams FROM scale_state WHERE id = 1 AND grams IS NOT NULL");
  if (sqlite3_step(st.s) == SQLITE_ROW) return sqlite3_column_int(st.s, 0);
  return std::nullopt;
}

Journal::~Journal() { sqlite3_close(db_); }

void Journal::exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error("basket journal " + path_ + ": " + msg);
  }
}

bool Journal::add(BasketLine& l) {
  exec("BEGIN IMMEDIATE");
  try {
    bool added = insert(l);
    if (added) set_item_on_scale(static_cast<int>(l.grams));
    exec("COMMIT");
    return added;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

bool Journal::insert(BasketLine& l) {
  Statement st(db_, R"(INSERT OR IGNORE INTO basket_lines
      (scan_id, created_ms, product_id, name, grams, quantity, unit_price_minor, by_weight,
       price_minor, currency, probability) VALUES (?,?,?,?,?,?,?,?,?,?,?))");
  sqlite3_bind_text(st.s, 1, l.scan_id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 2, l.created_ms);
  sqlite3_bind_text(st.s, 3, l.product_id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 4, l.name.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 5, l.grams);
  sqlite3_bind_int64(st.s, 6, l.quantity);
  sqlite3_bind_int64(st.s, 7, l.unit_price_minor);
  sqlite3_bind_int(st.s, 8, l.by_weight);
  sqlite3_bind_int64(st.s, 9, l.price_minor);
  sqlite3_bind_text(st.s, 10, l.currency.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_double(st.s, 11, l.probability);
  if (sqlite3_step(st.s) != SQLITE_DONE)
    throw std::runtime_error("basket journal " + path_ + ": " + sqlite3_errmsg(db_));
  if (sqlite3_changes(db_) == 0) return false;
  l.line_no = sqlite3_last_insert_rowid(db_);
  return true;
}

std::vector<BasketLine> Journal::lines() const {
  Statement st(db_, R"(SELECT line_no, scan_id, created_ms, product_id, name, grams, quantity,
      unit_price_minor, by_weight, price_minor, currency, probability
      FROM basket_lines ORDER BY line_no)");
  std::vector<BasketLine> out;
  auto text = [&](int i) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st.s, i)));
  };
  while (sqlite3_step(st.s) == SQLITE_ROW) {
    BasketLine l;
    l.line_no = sqlite3_column_int64(st.s, 0);
    l.scan_id = text(1);
    l.created_ms = sqlite3_column_int64(st.s, 2);
    l.product_id = text(3);
    l.name = text(4);
    l.grams = sqlite3_column_int64(st.s, 5);
    l.quantity = sqlite3_column_int64(st.s, 6);
    l.unit_price_minor = sqlite3_column_int64(st.s, 7);
    l.by_weight = sqlite3_column_int(st.s, 8);
    l.price_minor = sqlite3_column_int64(st.s, 9);
    l.currency = text(10);
    l.probability = sqlite3_column_double(st.s, 11);
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace ce
