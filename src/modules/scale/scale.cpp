// scale: publishes the weight on output "weight" several times a second as
// {"grams": int, "milligrams": int, "stable": bool, "status": "ok" |
// "motion" | "under-zero" | "overload" | "disconnected" | "fault",
// "placement": items placed since "scaleRun" began, "placed": the last of
// them is still there (see placements.h)}.
// A scale that goes away is reported and reopened with backoff; the
// module never exits for it. Direct methods "zero" and "tare".
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <mutex>

#include "common/serial_port.h"
#include "common/settings.h"
#include "common/stop_signal.h"
#include "modules/modules.h"
#include "modules/scale/placements.h"
#include "modules/scale/scale_driver.h"

namespace ce {

namespace {

Message weight_message(const WeightReading& r, PlacementCount& placements) {
  return Message::with_json({{"grams", (r.milligrams + (r.milligrams >= 0 ? 500 : -500)) / 1000},
                             {"milligrams", r.milligrams},
                             {"stable", r.stable},
                             {"status", to_string(r.status)},
                             {"placement", placements.after(r)},
                             {"placed", placements.holding()},
                             {"scaleRun", placements.run()}});
}

}  // namespace

int run_scale(ModuleClient& client, const nlohmann::json& desired) {
  const ScaleSettings settings = ScaleSettings::from(desired);
  const double hz = settings.hz;
  const std::string& driver_name = settings.driver;

  std::mutex mutex;  // the driver is shared with the zero/tare methods
  std::unique_ptr<ScaleDriver> scale;
  std::string last_error;
  auto connect = [&]() -> bool {
    try {
      scale = open_scale(desired);
      std::cerr << "scale: " << scale->describe() << "\n";
      // "connected" waits for the first answer: a port can open with nobody behind it.
      client.report({{"driver", driver_name}, {"scale", scale->describe()}, {"hz", hz}});
      return true;
    } catch (const DeviceGone& e) {
      if (e.what() != last_error) std::cerr << "scale: " << e.what() << "; retrying\n";
      last_error = e.what();
      client.report({{"driver", driver_name}, {"connected", false}, {"error", e.what()}});
      return false;
    }
  };
  connect();  // a bad setting throws here: the manifest must be fixed

  auto command = [&](const char* name, bool (ScaleDriver::*act)()) {
    client.on_method(name, [&, name, act](const nlohmann::json&) {
      std::lock_guard lock(mutex);
      if (!scale) return MethodResult{503, {{"error", "the scale is disconnected"}}};
      try {
        if ((scale.get()->*act)()) return MethodResult{200, {{"done", name}}};
        return MethodResult{409,
                            {{"error", std::string("the scale refused to ") + name +
                                           ": take the item off and wait until it is still"}}};
      } catch (const std::logic_error& e) {
        return MethodResult{501, {{"error", e.what()}}};
      }
    });
  };
  command("zero", &ScaleDriver::zero);
  command("tare", &ScaleDriver::tare);
  // Read at start; a change restarts the module to apply it.
  client.on_desired_change([&client, desired](const nlohmann::json& d) {
    if (d != desired) client.restart_to_apply("new desired properties");
  });

  bool answered = false;
  PlacementCount placements(std::to_string(now_ms()) + "-" + std::to_string(getpid()));
  if (const char* data = std::getenv("CE_DATA_DIR"))
    placements.keep_in(std::filesystem::path(data) / "placements.json");
  std::optional<StabilityFilter> filter;
  if (settings.stable_ms > 0)
    filter.emplace(settings.division_mg, std::chrono::milliseconds(settings.stable_ms));
  auto period = std::chrono::milliseconds(static_cast<long long>(1000 / hz));
  auto retry = std::chrono::milliseconds(500);
  while (!stop_requested()) {
    bool connected;
    {
      std::lock_guard lock(mutex);
      connected = scale || connect();
    }
    if (!connected) {
      client.send_output("weight",
                         weight_message({0, ScaleStatus::Disconnected, false}, placements));
      if (wait_for_stop(retry)) break;
      retry = std::min(retry * 2, std::chrono::milliseconds(5000));
      continue;
    }
    retry = std::chrono::milliseconds(500);
    WeightReading r;
    try {
      std::lock_guard lock(mutex);
      r = scale->read();
      if (!last_error.empty() || !answered) {
        client.report({{"connected", true}, {"error", nullptr}});
        last_error.clear();
        answered = true;
      }
    } catch (const DeviceGone& e) {
      if (e.what() != last_error) std::cerr << "scale: " << e.what() << "\n";
      std::lock_guard lock(mutex);
      scale.reset();
      last_error = e.what();
      client.report({{"connected", false}, {"error", e.what()}});
      client.send_output("weight",
                         weight_message({0, ScaleStatus::Disconnected, false}, placements));
      continue;
    }
    r = within_capacity(r, settings.capacity_mg);
    if (filter && (r.status == ScaleStatus::Ok || r.status == ScaleStatus::Motion))
      r.stable = r.stable && filter->stable(r.milligrams, now_ms());
    client.send_output("weight", weight_message(r, placements));
    if (wait_for_stop(period)) break;
  }
  return 0;
}

}  // namespace ce

namespace ce {

void check_scale_settings(const nlohmann::json& desired) {
  ScaleSettings s = ScaleSettings::from(desired);
  if (s.driver == "simulated") open_scale(desired);  // reads the scenario or steps, opens nothing
}

}  // namespace ce
