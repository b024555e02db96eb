// A basket journal that SQLite cannot trust (a garbage page, not a
// database, a folder where the file should be): found at start, never
// replaced behind staff's back. The lane says it cannot save; staff run
// `checkout-edge call checkout recoverJournal`, which keeps the damaged file
// aside, exports what can still be read and starts a new journal that
// numbers baskets on from the last one.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ce {

// Empty when `path` is absent or a whole journal; else what is wrong.
std::string journal_damage(const std::string& path);

struct RecoveredJournal {
  std::string kept_as;   // the damaged file, renamed
  std::string exported;  // what could be read, as JSON (0600)
  long long lines = 0, baskets = 0, events = 0;
  std::string stopped;  // why reading stopped early, if it did
};

// Moves the damaged journal aside, exports its readable rows and creates a
// new journal whose baskets are numbered after `basket_mark`. Throws naming
// the file when it cannot.
RecoveredJournal recover_journal(const std::string& path, long long basket_mark);

}  // namespace ce
