// The scales the scale module can drive, behind one interface:
//   simulated     from a scenario or steps (demos, tests)
//   mt-sics       Mettler Toledo MT-SICS over a serial port
//   toledo-8213   checkout scanner-scales over a serial port
//   hid-pos       USB HID point-of-sale scales on /dev/hidraw*
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "modules/scale/weight.h"

namespace ce {

class ScaleDriver {
 public:
  virtual ~ScaleDriver() = default;
  // The weight now. Throws DeviceGone when the scale is unplugged or mute.
  virtual WeightReading read() = 0;
  // Returns false when the scale refused (in motion, out of range);
  // throws std::logic_error when the scale cannot do it at all.
  virtual bool zero();
  virtual bool tare();
  virtual std::string describe() const = 0;
};

// What the scale module reads from its desired properties at start.
struct ScaleSettings {
  std::string driver = "simulated";  // simulated, mt-sics, toledo-8213, hid-pos
  std::string device, framing, unit = "kg";
  int baud = 9600;
  double hz = 10;
  long long stable_ms = 0, division_mg = 5000;
  long long capacity_mg = 30000000;  // 30 kg: a checkout scale's range

  // Throws SettingError naming the property; opens nothing.
  static ScaleSettings from(const nlohmann::json& desired);
};

// Chooses from the desired properties ("driver", "device", "baud",
// "framing", "unit", ...). Throws SettingError for a bad setting and
// DeviceGone when the device is not there.
std::unique_ptr<ScaleDriver> open_scale(const nlohmann::json& desired);

// For scales without a trustworthy motion flag: stable once every reading
// of the last `window` stayed within one scale division.
class StabilityFilter {
 public:
  StabilityFilter(long long division_mg, std::chrono::milliseconds window)
      : division_mg_(division_mg), window_ms_(window.count()) {}
  bool stable(long long milligrams, long long now_ms);

 private:
  long long division_mg_, window_ms_;
  std::deque<std::pair<long long, long long>> readings_;  // time, mg
};

}  // namespace ce
