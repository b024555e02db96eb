// The basket, kept in SQLite (WAL) so that a crash or kill -9 loses no line.
#pragma once

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
};

class Journal {
 public:
  explicit Journal(const std::string& path);  // creates the file and tables as needed
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Returns false (and adds nothing) when this scan_id is already in the basket.
  // In the same transaction, records the line's item as on the scale.
  bool add(BasketLine& line);
  std::vector<BasketLine> lines() const;

  // The weight of the item last decided on while it is still on the scale,
  // so that a restarted checkout does not announce it twice.
  void set_item_on_scale(std::optional<int> grams);
  std::optional<int> item_on_scale() const;

 private:
  bool insert(BasketLine& line);
  SqliteDb db_;
};

}  // namespace ce
