// Reading the checkout's journal from a test while the checkout writes it.
#pragma once

#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "modules/checkout/journal.h"

namespace ce::testing_support {

// The checkout may hold the journal locked for a moment (switching it to WAL,
// recovering it after a kill); a reader that finds it locked asks again.
inline std::vector<BasketLine> journal_lines(const std::filesystem::path& journal) {
  using namespace std::chrono_literals;
  for (auto until = std::chrono::steady_clock::now() + 10s;;) {
    try {
      return Journal(journal.string()).lines();
    } catch (const SqliteError&) {
      if (std::chrono::steady_clock::now() > until) throw;
      std::this_thread::sleep_for(100ms);
    }
  }
}

}  // namespace ce::testing_support
