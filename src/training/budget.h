// The time `train --budget` is given, and what it does with it: measure what
// each part of the work costs on this machine, then take the richest plan
// that fits (the rungs, and the figures behind them, in docs/benchmarks.md).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ce {

// "10m", "2h", "1h30m", "90s", or plain seconds. Throws naming the text
// and the forms it takes.
std::chrono::seconds parse_budget(std::string_view text);
// "2h", "1h30m", "10m", "45s": the shortest way to write it back.
std::string budget_text(std::chrono::seconds budget);

// What one training run does; a rung of the ladder. A rung runs at least
// `epochs`, and up to `most_epochs` when the budget has room for them.
struct TrainingPlan {
  int fine_tune = 2, views = 2, epochs = 10, most_epochs = 10;
  std::string augment = "crop";
  double estimated_seconds = 0;
};

// What the parts of a run cost here, measured before it starts.
struct TrainingCosts {
  size_t training_photos = 0, other_photos = 0;  // other: held out to calibrate, and validation
  // Reading a photo and running the fronts on one view of it, and training
  // on one view for one epoch (tails and head, forward and backward), for
  // a number of fine-tuned layers.
  std::function<double(int fine_tune)> front_seconds, step_seconds;
};

double estimated_seconds(const TrainingPlan& plan, const TrainingCosts& costs);

// The ladder, cheapest first: each rung measured better than the one before.
std::vector<TrainingPlan> training_ladder();

// The richest rung (with what the user fixed put in) estimated to fit in
// `budget`, with as many of its epochs as fit; the cheapest if none does.
// `fixed_by_user` puts in what the user gave (epochs: both bounds).
TrainingPlan plan_training(std::chrono::seconds budget, const TrainingCosts& costs,
                           const std::function<void(TrainingPlan&)>& fixed_by_user);

}  // namespace ce
