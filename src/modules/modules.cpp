#include "modules/modules.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

#include "common/files.h"
#include "common/json_file.h"

namespace ce {
namespace {

// A hub that restarted forgets the retained settings until the runtime,
// reconnecting, publishes them again; a module started meanwhile (the hub
// restarted again and again) would wait 10 s and exit, and a lane without
// its checkout or speech tells no one anything. So a module keeps the
// settings it last started with and, given none within 3 s, starts with
// those; the hub's, when they come, reach its on_desired_change as usual.
nlohmann::json settings_to_start_with(ModuleClient& client, const std::string& name) {
  using namespace std::chrono_literals;
  const char* data = std::getenv("CE_DATA_DIR");
  std::filesystem::path kept =
      data ? std::filesystem::path(data) / "desired-at-start.json" : std::filesystem::path();
  std::error_code ec;
  if (!kept.empty() && std::filesystem::exists(kept, ec)) {
    try {
      return client.wait_for_desired(3s);
    } catch (const std::runtime_error&) {
    }
    try {
      auto desired = read_json_file(kept.string(), "the settings of the last start");
      std::cerr << name << ": the hub has not given this module's settings in 3 s; starting "
                << "with those of its last start until it does\n";
      return desired;
    } catch (const std::exception& e) {
      std::cerr << name << ": " << e.what() << "\n";
    }
  }
  auto desired = client.wait_for_desired(10s);
  if (!kept.empty()) {
    try {
      write_file_atomically(kept, desired.dump() + "\n");
    } catch (const std::exception& e) {
      std::cerr << name << ": cannot keep its settings for a start without the hub: " << e.what()
                << "\n";
    }
  }
  return desired;
}

}  // namespace

void check_builtin_settings(const std::string& name, const nlohmann::json& desired) {
  using Check = void (*)(const nlohmann::json&);
  static const std::map<std::string, Check> checks{{"camera", check_camera_settings},
                                                   {"classifier", check_classifier_settings},
                                                   {"scale", check_scale_settings},
                                                   {"checkout", check_checkout_settings},
                                                   {"speech", check_speech_settings},
                                                   {"keypad", check_keypad_settings},
                                                   {"barcodes", check_barcodes_settings},
                                                   {"scanner", check_scanner_settings},
                                                   {"web", check_web_settings}};
  if (auto it = checks.find(name); it != checks.end()) it->second(desired);
}

int run_builtin_module(const std::string& name) {
  using Run = int (*)(ModuleClient&, const nlohmann::json&);
  static const std::map<std::string, Run> modules{
      {"camera", run_camera},     {"classifier", run_classifier}, {"scale", run_scale},
      {"checkout", run_checkout}, {"speech", run_speech},         {"keypad", run_keypad},
      {"barcodes", run_barcodes}, {"scanner", run_scanner},       {"web", run_web}};
  auto it = modules.find(name);
  if (it == modules.end()) {
    std::cerr << "checkout-edge: no built-in module '" << name
              << "'; the built-in modules are camera, classifier, scale, checkout, speech, keypad, "
                 "barcodes, scanner, web\n";
    return 2;
  }
  try {
    auto client = ModuleClient::from_environment();
    auto desired = settings_to_start_with(*client, name);
    return it->second(*client, desired);
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ce
