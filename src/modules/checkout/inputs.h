// What the checkout reads from the hub, checked before it is believed: a
// body that is not what the sending module sends is refused (BadInput),
// and the checkout says so in its log and ignores it.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace ce {

struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The most a lane's scale can show, either way; a weight beyond it is not a weight.
constexpr long long kMaxGrams = 1'000'000;

struct WeightInput {
  int grams = 0;
  bool stable = false;
  std::string status = "ok";
  long long placement = -1;  // items the scale saw placed in `scale_run`; -1: not sent
  bool placed = false;       // the last of them is on the scale now
  std::string scale_run;
};

// The scale's {"grams", "stable", "status", "placement", "scaleRun"}.
WeightInput read_weight(const nlohmann::json& j);

// Custom Vision's [{tagName, probability}, ...], each probability a real one.
const nlohmann::json& read_predictions(const nlohmann::json& j);

}  // namespace ce
