// The basket, kept in SQLite (WAL, synchronous FULL) so that a crash or
// kill -9 loses no line: every change is one transaction, and every event
// (line added, voided, quantity, question, answer, cancel, payment) is kept.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/sqlite_db.h"

namespace ce {

struct BasketLine {
  long long line_no = 0;
  std::string scan_id;  // unique: a scan delivered twice adds one line
  long long created_ms = 0;
  std::string product_id, name;
  long long grams = 0;
  long long quantity = 1;
  long long unit_price_minor = 0;  // per kg for weighed items, else each
  bool by_weight = true;
  long long price_minor = 0;
  std::string currency;
  double probability = 0;
  bool announced = false;  // speech said its sentence to the end
  // The scene (or frame) the classifier decided it on, and how it was
  // decided ("model", "answer", "group"): a paid line the model decided
  // teaches the lane; an answer taught it when it was given.
  std::string scene, decided_by;
  // Decided by a product code: its text as read ("4006381333931"). A line
  // priced from a GS1 label keeps the lane's own weight beside the label's.
  std::string code;
  long long scale_grams = 0;
};

// A basket as staff look it up: open, paid or cancelled, with every line
// it had (voids marked), as the journal holds them.
struct BasketRecord {
  long long basket_id = 0;
  std::string status;                      // "open", "paid", "cancelled"
  long long opened_ms = 0, closed_ms = 0;  // closed_ms 0: still open
  std::vector<BasketLine> lines;
  std::vector<bool> voided;  // beside lines
  nlohmann::json receipt;    // null unless paid
};

class Journal {
 public:
  explicit Journal(const std::string& path);  // creates or upgrades the file as needed
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // The open basket (one is opened when the last was paid or cancelled).
  long long basket_id() const;
  // The highest basket number this journal has issued.
  long long highest_basket() const;
  // For a journal that replaced a lost one: the next basket is numbered
  // after `mark`, so no receipt number repeats on the lane.
  void number_baskets_after(long long mark);
  // Returns false (and adds nothing) when this scan_id is in a basket already.
  // In the same transaction, records the line's item as on the scale.
  bool add(BasketLine& line);
  std::vector<BasketLine> lines() const;         // the open basket's, voids left out
  std::vector<BasketLine> voided_lines() const;  // the open basket's voids, for the screen
  std::optional<BasketLine> line(long long line_no) const;
  void mark_announced(long long line_no);
  std::vector<BasketLine> unannounced() const;

  bool void_line(long long line_no);  // false: no such line in the open basket
  void set_quantity(long long line_no, long long quantity, long long price_minor);
  // Closes the open basket as paid (with its receipt) or cancelled.
  void close_basket(const std::string& status, const nlohmann::json& receipt);

  // The weight of the item last decided on while it is still on the scale,
  // so that a restarted checkout does not announce it twice.
  void set_item_on_scale(std::optional<int> grams);
  std::optional<int> item_on_scale() const;

  // The grams of the product's last `count` lines in any basket (voided
  // ones left out), newest first: what this lane has seen it weigh.
  std::vector<int> weights_of(const std::string& product_id, int count = 50) const;

  // Small state that must outlive a restart: the open question, the last
  // announcement (for "repeat").
  void set_state(const std::string& key, const std::optional<nlohmann::json>& value);
  std::optional<nlohmann::json> state(const std::string& key) const;

  // The baskets with any activity between the two times (opened, closed, or
  // open across them), newest first, at most `limit`; `status` empty: any.
  std::vector<BasketRecord> baskets(long long from_ms, long long to_ms, const std::string& status,
                                    size_t limit) const;

  // An event for the record; in the transaction of the change it records.
  void record(const std::string& kind, const nlohmann::json& detail);
  std::vector<nlohmann::json> events() const;  // oldest first

 private:
  std::vector<BasketLine> open_basket_lines(bool voided) const;
  bool insert(BasketLine& line);
  void upgrade();
  void upgrade_to_2();
  template <typename F>
  void in_transaction(F&& change);
  SqliteDb db_;
};

}  // namespace ce
