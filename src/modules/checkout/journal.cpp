#include "modules/checkout/journal.h"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "checkout-edge/module.h"

namespace ce {

namespace {

std::string column_text(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? reinterpret_cast<const char*>(t) : "";
}

void bind_text(sqlite3_stmt* s, int i, const std::string& text) {
  sqlite3_bind_text(s, i, text.c_str(), -1, SQLITE_TRANSIENT);
}

constexpr const char* kLineColumns =
    "line_no, scan_id, created_ms, product_id, name, grams, quantity, unit_price_minor, "
    "by_weight, price_minor, currency, probability, announced, scene, decided_by, code, "
    "scale_grams";

BasketLine read_line(sqlite3_stmt* s) {
  BasketLine l;
  l.line_no = sqlite3_column_int64(s, 0);
  l.scan_id = column_text(s, 1);
  l.created_ms = sqlite3_column_int64(s, 2);
  l.product_id = column_text(s, 3);
  l.name = column_text(s, 4);
  l.grams = sqlite3_column_int64(s, 5);
  l.quantity = sqlite3_column_int64(s, 6);
  l.unit_price_minor = sqlite3_column_int64(s, 7);
  l.by_weight = sqlite3_column_int(s, 8);
  l.price_minor = sqlite3_column_int64(s, 9);
  l.currency = column_text(s, 10);
  l.probability = sqlite3_column_double(s, 11);
  l.announced = sqlite3_column_int(s, 12);
  l.scene = column_text(s, 13);
  l.decided_by = column_text(s, 14);
  l.code = column_text(s, 15);
  l.scale_grams = sqlite3_column_int64(s, 16);
  return l;
}

}  // namespace

Journal::Journal(const std::string& path) : db_(path, "basket journal") {
  // Another process setting up the same new journal (a checkout and its
  // restart) holds it for a moment, and switching to WAL does not wait as
  // writes do: wait for it here.
  for (int attempt = 0;; ++attempt) {
    try {
      // FULL: a line the shopper heard announced is on disk before we say it.
      db_.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
      upgrade();
      return;
    } catch (const std::runtime_error& e) {
      if (std::string(e.what()).find(sqlite3_errstr(SQLITE_BUSY)) == std::string::npos ||
          attempt >= 100)
        throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

// user_version 1: lines and the scale's item (the first release's journal).
// 2: baskets, voids, announcements, events, state. 3: the scene each line
// was decided on, and by whom (what the lane learns from). 4: the product
// code that decided it, and the lane's weight beside a label's.
void Journal::upgrade() {
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
            probability REAL NOT NULL);
          CREATE TABLE IF NOT EXISTS scale_state (id INTEGER PRIMARY KEY CHECK (id = 1),
            grams INTEGER);)");
  // A decision asks what each candidate weighed before: by product, newest first.
  db_.exec("CREATE INDEX IF NOT EXISTS lines_by_product ON basket_lines (product_id, line_no)");
  // The version is read inside the write transaction: two processes opening
  // a new journal at once (a checkout and its restart) both read version 0
  // outside it, and the second then failed on "duplicate column name".
  in_transaction([&] {
    SqlStatement version(db_, "PRAGMA user_version");
    sqlite3_step(version.s);
    int at = sqlite3_column_int(version.s, 0);
    sqlite3_reset(version.s);
    if (at < 2) upgrade_to_2();
    if (at < 3)
      db_.exec(R"(ALTER TABLE basket_lines ADD COLUMN scene TEXT NOT NULL DEFAULT '';
                ALTER TABLE basket_lines ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';
                PRAGMA user_version = 3;)");
    if (at < 4)
      db_.exec(R"(ALTER TABLE basket_lines ADD COLUMN code TEXT NOT NULL DEFAULT '';
                ALTER TABLE basket_lines ADD COLUMN scale_grams INTEGER NOT NULL DEFAULT 0;
                PRAGMA user_version = 4;)");
  });
}

// Inside upgrade()'s transaction.
void Journal::upgrade_to_2() {
  db_.exec(R"(ALTER TABLE basket_lines ADD COLUMN basket_id INTEGER NOT NULL DEFAULT 1;
              ALTER TABLE basket_lines ADD COLUMN voided INTEGER NOT NULL DEFAULT 0;
              ALTER TABLE basket_lines ADD COLUMN announced INTEGER NOT NULL DEFAULT 1;
              CREATE TABLE baskets (basket_id INTEGER PRIMARY KEY AUTOINCREMENT,
                opened_ms INTEGER NOT NULL, closed_ms INTEGER,
                status TEXT NOT NULL DEFAULT 'open', receipt TEXT);
              INSERT INTO baskets (basket_id, opened_ms) VALUES (1, 0);
              CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, ms INTEGER NOT NULL,
                basket_id INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL);
              CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
              PRAGMA user_version = 2;)");
}

template <typename F>
void Journal::in_transaction(F&& change) {
  db_.exec("BEGIN IMMEDIATE");
  try {
    change();
    db_.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

long long Journal::basket_id() const {
  SqlStatement st(db_, "SELECT max(basket_id) FROM baskets WHERE status = 'open'");
  if (sqlite3_step(st.s) == SQLITE_ROW && sqlite3_column_type(st.s, 0) != SQLITE_NULL)
    return sqlite3_column_int64(st.s, 0);
  SqlStatement open(db_, "INSERT INTO baskets (opened_ms) VALUES (?)");
  sqlite3_bind_int64(open.s, 1, now_ms());
  if (sqlite3_step(open.s) != SQLITE_DONE) db_.fail();
  return sqlite3_last_insert_rowid(db_.handle());
}

long long Journal::highest_basket() const {
  SqlStatement st(db_, "SELECT coalesce(max(basket_id), 0) FROM baskets");
  if (sqlite3_step(st.s) != SQLITE_ROW) db_.fail();
  return sqlite3_column_int64(st.s, 0);
}

void Journal::number_baskets_after(long long mark) {
  if (highest_basket() > mark) return;
  in_transaction([&] {
    // The new journal's open basket has no lines yet: it gives way to one
    // numbered after the mark.
    db_.exec(
        "DELETE FROM baskets WHERE status = 'open' AND basket_id NOT IN "
        "(SELECT basket_id FROM basket_lines)");
    SqlStatement open(db_, "INSERT INTO baskets (basket_id, opened_ms) VALUES (?, ?)");
    sqlite3_bind_int64(open.s, 1, mark + 1);
    sqlite3_bind_int64(open.s, 2, now_ms());
    if (sqlite3_step(open.s) != SQLITE_DONE) db_.fail();
  });
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

std::vector<int> Journal::weights_of(const std::string& product_id, int count) const {
  SqlStatement st(db_, R"(SELECT grams FROM basket_lines WHERE product_id = ? AND voided = 0
                          ORDER BY line_no DESC LIMIT ?)");
  sqlite3_bind_text(st.s, 1, product_id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(st.s, 2, count);
  std::vector<int> out;
  while (sqlite3_step(st.s) == SQLITE_ROW) out.push_back(sqlite3_column_int(st.s, 0));
  return out;
}

bool Journal::add(BasketLine& l) {
  bool added = false;
  in_transaction([&] {
    added = insert(l);
    if (added) {
      set_item_on_scale(static_cast<int>(l.grams));
      record("add", {{"line", l.line_no},
                     {"scanId", l.scan_id},
                     {"productId", l.product_id},
                     {"grams", l.grams},
                     {"priceMinor", l.price_minor}});
    }
  });
  return added;
}

bool Journal::insert(BasketLine& l) {
  SqlStatement st(db_, R"(INSERT OR IGNORE INTO basket_lines
      (scan_id, created_ms, product_id, name, grams, quantity, unit_price_minor, by_weight,
       price_minor, currency, probability, basket_id, announced, scene, decided_by, code,
       scale_grams)
       VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0,?,?,?,?))");
  bind_text(st.s, 1, l.scan_id);
  sqlite3_bind_int64(st.s, 2, l.created_ms);
  bind_text(st.s, 3, l.product_id);
  bind_text(st.s, 4, l.name);
  sqlite3_bind_int64(st.s, 5, l.grams);
  sqlite3_bind_int64(st.s, 6, l.quantity);
  sqlite3_bind_int64(st.s, 7, l.unit_price_minor);
  sqlite3_bind_int(st.s, 8, l.by_weight);
  sqlite3_bind_int64(st.s, 9, l.price_minor);
  bind_text(st.s, 10, l.currency);
  sqlite3_bind_double(st.s, 11, l.probability);
  sqlite3_bind_int64(st.s, 12, basket_id());
  bind_text(st.s, 13, l.scene);
  bind_text(st.s, 14, l.decided_by);
  bind_text(st.s, 15, l.code);
  sqlite3_bind_int64(st.s, 16, l.scale_grams);
  if (sqlite3_step(st.s) != SQLITE_DONE) db_.fail();
  if (sqlite3_changes(db_.handle()) == 0) return false;
  l.line_no = sqlite3_last_insert_rowid(db_.handle());
  l.announced = false;
  return true;
}

std::vector<BasketLine> Journal::open_basket_lines(bool voided) const {
  std::string sql = std::string("SELECT ") + kLineColumns +
                    " FROM basket_lines WHERE basket_id = ? AND voided = ? ORDER BY line_no";
  SqlStatement st(db_, sql.c_str());
  sqlite3_bind_int64(st.s, 1, basket_id());
  sqlite3_bind_int(st.s, 2, voided ? 1 : 0);
  std::vector<BasketLine> out;
  while (sqlite3_step(st.s) == SQLITE_ROW) out.push_back(read_line(st.s));
  return out;
}

std::vector<BasketLine> Journal::lines() const { return open_basket_lines(false); }

std::vector<BasketLine> Journal::voided_lines() const { return open_basket_lines(true); }

std::optional<BasketLine> Journal::line(long long line_no) const {
  for (auto& l : lines())
    if (l.line_no == line_no) return l;
  return std::nullopt;
}

void Journal::mark_announced(long long line_no) {
  SqlStatement st(db_, "UPDATE basket_lines SET announced = 1 WHERE line_no = ?");
  sqlite3_bind_int64(st.s, 1, line_no);
  if (sqlite3_step(st.s) != SQLITE_DONE) db_.fail();
}

std::vector<BasketLine> Journal::unannounced() const {
  std::vector<BasketLine> out;
  for (auto& l : lines())
    if (!l.announced) out.push_back(l);
  return out;
}

bool Journal::void_line(long long line_no) {
  bool voided = false;
  in_transaction([&] {
    SqlStatement st(db_,
                    "UPDATE basket_lines SET voided = 1 WHERE line_no = ? AND basket_id = ? AND "
                    "voided = 0");
    sqlite3_bind_int64(st.s, 1, line_no);
    sqlite3_bind_int64(st.s, 2, basket_id());
    if (sqlite3_step(st.s) != SQLITE_DONE) db_.fail();
    voided = sqlite3_changes(db_.handle()) > 0;
    if (voided) record("void", {{"line", line_no}});
  });
  return voided;
}

void Journal::set_quantity(long long line_no, long long quantity, long long price_minor) {
  in_transaction([&] {
    SqlStatement st(db_, "UPDATE basket_lines SET quantity = ?, price_minor = ? WHERE line_no = ?");
    sqlite3_bind_int64(st.s, 1, quantity);
    sqlite3_bind_int64(st.s, 2, price_minor);
    sqlite3_bind_int64(st.s, 3, line_no);
    if (sqlite3_step(st.s) != SQLITE_DONE) db_.fail();
    record("quantity", {{"line", line_no}, {"quantity", quantity}, {"priceMinor", price_minor}});
  });
}

void Journal::close_basket(const std::string& status, const nlohmann::json& receipt) {
  in_transaction([&] {
    long long id = basket_id();
    SqlStatement st(
        db_, "UPDATE baskets SET status = ?, closed_ms = ?, receipt = ? WHERE basket_id = ?");
    bind_text(st.s, 1, status);
    sqlite3_bind_int64(st.s, 2, now_ms());
    bind_text(st.s, 3, receipt.dump());
    sqlite3_bind_int64(st.s, 4, id);
    if (sqlite3_step(st.s) != SQLITE_DONE) db_.fail();
    record(status, {{"basket", id}});
  });
}

std::vector<BasketRecord> Journal::baskets(long long from_ms, long long to_ms,
                                           const std::string& status, size_t limit) const {
  // Overlap: opened before the end, and still open or closed after the start.
  SqlStatement st(db_, R"(SELECT basket_id, status, opened_ms, coalesce(closed_ms, 0),
                                 coalesce(receipt, '') FROM baskets
                          WHERE opened_ms <= ? AND (closed_ms IS NULL OR closed_ms >= ?)
                            AND (? = '' OR status = ?)
                          ORDER BY basket_id DESC LIMIT ?)");
  sqlite3_bind_int64(st.s, 1, to_ms);
  sqlite3_bind_int64(st.s, 2, from_ms);
  bind_text(st.s, 3, status);
  bind_text(st.s, 4, status);
  sqlite3_bind_int64(st.s, 5, static_cast<long long>(limit));
  std::vector<BasketRecord> out;
  while (sqlite3_step(st.s) == SQLITE_ROW) {
    BasketRecord b;
    b.basket_id = sqlite3_column_int64(st.s, 0);
    b.status = column_text(st.s, 1);
    b.opened_ms = sqlite3_column_int64(st.s, 2);
    b.closed_ms = sqlite3_column_int64(st.s, 3);
    std::string receipt = column_text(st.s, 4);
    b.receipt = receipt.empty() ? nlohmann::json() : nlohmann::json::parse(receipt, nullptr, false);
    out.push_back(std::move(b));
  }
  std::string sql = std::string("SELECT ") + kLineColumns +
                    ", voided FROM basket_lines WHERE basket_id = ? ORDER BY line_no";
  SqlStatement lines(db_, sql.c_str());
  for (auto& b : out) {
    sqlite3_reset(lines.s);
    sqlite3_bind_int64(lines.s, 1, b.basket_id);
    while (sqlite3_step(lines.s) == SQLITE_ROW) {
      b.lines.push_back(read_line(lines.s));
      b.voided.push_back(sqlite3_column_int(lines.s, 17) != 0);  // after kLineColumns
    }
  }
  return out;
}

void Journal::set_state(const std::string& key, const std::optional<nlohmann::json>& value) {
  SqlStatement st(db_, value ? "INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)"
                             : "DELETE FROM state WHERE key = ?");
  bind_text(st.s, 1, key);
  if (value) bind_text(st.s, 2, value->dump());
  if (sqlite3_step(st.s) != SQLITE_DONE) db_.fail();
}

std::optional<nlohmann::json> Journal::state(const std::string& key) const {
  SqlStatement st(db_, "SELECT value FROM state WHERE key = ?");
  bind_text(st.s, 1, key);
  if (sqlite3_step(st.s) != SQLITE_ROW) return std::nullopt;
  return nlohmann::json::parse(column_text(st.s, 0));
}

void Journal::record(const std::string& kind, const nlohmann::json& detail) {
  SqlStatement st(db_, "INSERT INTO events (ms, basket_id, kind, detail) VALUES (?, ?, ?, ?)");
  sqlite3_bind_int64(st.s, 1, now_ms());
  sqlite3_bind_int64(st.s, 2, basket_id());
  bind_text(st.s, 3, kind);
  bind_text(st.s, 4, detail.dump());
  if (sqlite3_step(st.s) != SQLITE_DONE) db_.fail();
}

std::vector<nlohmann::json> Journal::events() const {
  SqlStatement st(db_, "SELECT ms, basket_id, kind, detail FROM events ORDER BY id");
  std::vector<nlohmann::json> out;
  while (sqlite3_step(st.s) == SQLITE_ROW)
    out.push_back({{"ms", sqlite3_column_int64(st.s, 0)},
                   {"basket", sqlite3_column_int64(st.s, 1)},
                   {"kind", column_text(st.s, 2)},
                   {"detail", nlohmann::json::parse(column_text(st.s, 3))}});
  return out;
}

}  // namespace ce
