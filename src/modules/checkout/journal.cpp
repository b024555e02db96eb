#include "modules/checkout/journal.h"

#include <stdexcept>

namespace ce {

Journal::Journal(const std::string& path) : db_(path, "basket journal") {
  // FULL: a line the shopper heard announced is on disk before we say it.
  db_.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  db_.exec(R"(CREATE TABLE IF NOT EXISTS basket_lines (
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
  db_.exec(
      "CREATE TABLE IF NOT EXISTS scale_state (id INTEGER PRIMARY KEY CHECK (id = 1), grams "
      "INTEGER)");
}

void Journal::set_item_on_scale(std::optional<int> grams) {
  SqlStatement st(db_, "INSERT OR REPLACE INTO scale_state (id, grams) VALUES (1, ?)");
  if (grams)
    sqlite3_bind_int(st.s, 1, *grams);
  else
    sqlite3_bind_null(st.s, 1);
  if (sqlite3_step(st.s) != SQLITE_DONE) db_.fail();
}

std::optional<int> Journal::item_on_scale() const {
  SqlStatement st(db_, "SELECT grams FROM scale_state WHERE id = 1 AND grams IS NOT NULL");
  if (sqlite3_step(st.s) == SQLITE_ROW) return sqlite3_column_int(st.s, 0);
  return std::nullopt;
}

bool Journal::add(BasketLine& l) {
  db_.exec("BEGIN IMMEDIATE");
  try {
    bool added = insert(l);
    if (added) set_item_on_scale(static_cast<int>(l.grams));
    db_.exec("COMMIT");
    return added;
  } catch (...) {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

bool Journal::insert(BasketLine& l) {
  SqlStatement st(db_, R"(INSERT OR IGNORE INTO basket_lines
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
  if (sqlite3_step(st.s) != SQLITE_DONE) db_.fail();
  if (sqlite3_changes(db_.handle()) == 0) return false;
  l.line_no = sqlite3_last_insert_rowid(db_.handle());
  return true;
}

std::vector<BasketLine> Journal::lines() const {
  SqlStatement st(db_, R"(SELECT line_no, scan_id, created_ms, product_id, name, grams, quantity,
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
