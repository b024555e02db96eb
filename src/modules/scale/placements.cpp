#include "modules/scale/placements.h"

namespace ce {

long long PlacementCount::after(const WeightReading& r) {
  if (r.status != ScaleStatus::Ok && r.status != ScaleStatus::Motion) return count_;
  if (r.milligrams < empty_below_mg_) {
    empty_ = true;
  } else if (empty_ && r.stable) {
    empty_ = false;
    ++count_;
  }
  return count_;
}

}  // namespace ce
