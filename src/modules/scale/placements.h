// How many items this scale has seen placed since it started: an empty
// scale that then holds a stable weight is one more. Each weight message
// carries the count, so a checkout that was away (restarting, or cut off
// from the hub) knows afterwards how many items it never saw, and can ask
// the shopper to place them again instead of losing them in silence.
#pragma once

#include <filesystem>
#include <string>

#include "modules/scale/weight.h"

namespace ce {

class PlacementCount {
 public:
  // `run`: this start's name (a count starts again with the scale);
  // `empty_below_mg`: the checkout's "nothing on the scale".
  PlacementCount(std::string run, long long empty_below_mg = 5000)
      : run_(std::move(run)), empty_below_mg_(empty_below_mg) {}

  // Carries the count across this module's restarts: if `file` holds a
  // count, it goes on from it (the same run, and whether an item was still
  // there), and each change is kept in it. Else a scale restarted while the
  // checkout could not hear would hide the items placed before.
  void keep_in(std::filesystem::path file);
  // The count including `reading`.
  long long after(const WeightReading& reading);
  const std::string& run() const { return run_; }
  // The item last counted is still there (the scale has not been empty since).
  bool holding() const { return !empty_; }

 private:
  std::string run_;
  long long empty_below_mg_;
  long long count_ = 0;
  bool empty_ = true;
  std::filesystem::path file_;
  void keep();
};

}  // namespace ce
