// scale: publishes the weight on output "weight" as
// {"grams": int, "stable": bool, "status": "ok"} several times a second.
// This version simulates the scale from a scenario or a list of steps;
// real serial and HID drivers plug in behind the same output.
#include <iostream>

#include "common/settings.h"
#include "common/stop_signal.h"
#include "modules/modules.h"
#include "sim/scenario.h"

namespace ce {

namespace {

struct Reading {
  int grams = 0;
  bool stable = true;
};

// While an item settles, a real scale swings around the final weight.
Reading swinging(int grams, long long ms_on_scale, long long settle_ms) {
  if (ms_on_scale >= settle_ms) return {grams, true};
  double progress = static_cast<double>(ms_on_scale) / std::max(1LL, settle_ms);
  double overshoot = (ms_on_scale / 100) % 2 ? 1.15 : 0.8;
  return {
      static_cast<int>(grams * (progress + (1 - progress) * overshoot) * (0.5 + 0.5 * progress)),
      false};
}

}  // namespace

int run_scale(ModuleClient& client, const nlohmann::json& desired) {
  double hz = setting<double>(desired, "hz", 10.0);
  if (hz <= 0 || hz > 100) throw SettingError("desired property 'hz' must be in (0, 100]");
  std::function<Reading(long long)> read;
  if (desired.contains("scenario")) {
    auto scenario =
        std::make_shared<Scenario>(Scenario::load(desired["scenario"].get<std::string>()));
    read = [scenario](long long t) {
      Scene s = scenario->at(t);
      if (s.index < 0) return Reading{0, true};
      return swinging(scenario->items[s.index].grams, s.ms_on_scale, scenario->settle_ms);
    };
    std::cerr << "scale: simulating " << scenario->items.size() << " items\n";
  } else if (desired.contains("steps")) {
    // [[durationMs, grams], ...], repeated.
    auto steps = setting<std::vector<std::pair<long long, int>>>(desired, "steps", {});
    long long total = 0;
    for (auto& [ms, g] : steps) {
      if (ms <= 0 || g < 0)
        throw SettingError("each of 'steps' must be [durationMs > 0, grams >= 0]");
      total += ms;
    }
    if (steps.empty()) throw SettingError("desired property 'steps' is empty");
    long long settle = setting<long long>(desired, "settleMs", 300);
    read = [steps, total, settle](long long t) {
      t %= total;
      for (auto& [ms, g] : steps) {
        if (t < ms) return g == 0 ? Reading{0, true} : swinging(g, t, settle);
        t -= ms;
      }
      return Reading{0, true};
    };
  } else {
    throw SettingError(
        "the scale needs 'scenario' (a scenario file) or 'steps' ([[durationMs, grams], ...])");
  }
  client.report({{"driver", "simulated"}, {"hz", hz}});
  // Read at start; a change restarts the module to apply it.
  client.on_desired_change([&client, desired](const nlohmann::json& d) {
    if (d != desired) client.restart_to_apply("new desired properties");
  });

  auto period = std::chrono::milliseconds(static_cast<long long>(1000 / hz));
  do {
    Reading r = read(now_ms() - runtime_started_ms());
    client.send_output(
        "weight", Message::with_json({{"grams", r.grams}, {"stable", r.stable}, {"status", "ok"}}));
  } while (!wait_for_stop(period));
  return 0;
}

}  // namespace ce
