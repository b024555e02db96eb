// How many items this scale has seen placed since it started: an empty
// scale that then holds a stable weight is one more. Each weight message
// carries the count, so a checkout that was away (restarting, or cut off
// from the hub) knows afterwards how many items it never saw, and can ask
// the shopper to place them again instead of losing them in silence.
#pragma once

#include <string>

#include "modules/scale/weight.h"

namespace ce {

class PlacementCount {
 public:
  // `run`: this start's name (a count starts again with the scale);
  // `empty_below_mg`: the checkout's "nothing on the scale".
  PlacementCount(std::string run, long long empty_below_mg = 5000)
      : run_(std::move(run)), empty_below_mg_(empty_below_mg) {}

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
};

}  // namespace ce
