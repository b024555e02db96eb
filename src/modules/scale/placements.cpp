#include "modules/scale/placements.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "common/files.h"

namespace ce {

void PlacementCount::keep_in(std::filesystem::path file) {
  file_ = std::move(file);
  std::error_code ec;
  if (!std::filesystem::exists(file_, ec)) return keep();
  try {
    auto kept = nlohmann::json::parse(read_file(file_));
    std::string run = kept.at("run");
    long long count = kept.at("count");
    bool empty = kept.at("empty");
    if (run.empty() || count < 0) throw std::invalid_argument("no run or a negative count");
    run_ = run, count_ = count, empty_ = empty;
  } catch (const std::exception& e) {
    // A new run: the checkout then knows it cannot compare the counts.
    std::cerr << "scale: counting placements afresh (" << file_.string() << ": " << e.what()
              << ")\n";
    keep();
  }
}

void PlacementCount::keep() {
  if (file_.empty()) return;
  try {
    // No fsync: it guards against a kill, and the stable weight waits for it.
    write_file_atomically(
        file_, nlohmann::json{{"run", run_}, {"count", count_}, {"empty", empty_}}.dump() + "\n",
        false);
  } catch (const std::exception& e) {
    // An old count must not come back after a restart: gone, the next
    // start is a new run (removing a file works on a full disk).
    std::error_code ec;
    std::filesystem::remove(file_, ec);
    std::cerr << "scale: cannot keep the count of placements: " << e.what() << "\n";
  }
}

long long PlacementCount::after(const WeightReading& r) {
  if (r.status != ScaleStatus::Ok && r.status != ScaleStatus::Motion) return count_;
  bool was_empty = empty_;
  if (r.milligrams < empty_below_mg_) {
    empty_ = true;
  } else if (empty_ && r.stable) {
    empty_ = false;
    ++count_;
  }
  if (empty_ != was_empty) keep();
  return count_;
}

}  // namespace ce
