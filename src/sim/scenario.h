// A simulated shopper for demos and tests: items placed on the scale one
// after another. The camera shows each item's photo and the scale weighs it
// on the same timeline, anchored at the runtime's start, so the two modules
// stay in step without talking to each other, as in a real store.
#pragma once

#include <string>
#include <vector>

namespace ce {

struct ScenarioItem {
  std::string image;  // relative to the camera's imagesRoot
  int grams = 0;
};

struct Scene {
  int index = -1;  // which item; -1 while the scale is empty
  long long ms_on_scale = 0;
  bool finished = false;  // every item has been placed and taken off
};

struct Scenario {
  long long lead_in_ms = 2000;  // empty scale while the modules start
  long long gap_ms = 1000;      // empty scale between items
  long long item_ms = 2500;     // how long each item stays on the scale
  long long settle_ms = 400;    // how long the scale swings before it is stable
  std::vector<ScenarioItem> items;

  static Scenario load(const std::string& path);  // throws naming the file and field
  Scene at(long long ms_since_start) const;
  long long duration_ms() const;
};

// Where the runtime started (CE_RUNTIME_STARTED_MS), or now when run by hand.
long long runtime_started_ms();

}  // namespace ce
