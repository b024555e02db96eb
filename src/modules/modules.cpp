#include "modules/modules.h"

#include <iostream>
#include <map>

namespace ce {

void check_builtin_settings(const std::string& name, const nlohmann::json& desired) {
  using Check = void (*)(const nlohmann::json&);
  static const std::map<std::string, Check> checks{
      {"camera", check_camera_settings}, {"classifier", check_classifier_settings},
      {"scale", check_scale_settings},   {"checkout", check_checkout_settings},
      {"speech", check_speech_settings}, {"keypad", check_keypad_settings},
      {"web", check_web_settings}};
  if (auto it = checks.find(name); it != checks.end()) it->second(desired);
}

int run_builtin_module(const std::string& name) {
  using Run = int (*)(ModuleClient&, const nlohmann::json&);
  static const std::map<std::string, Run> modules{
      {"camera", run_camera}, {"classifier", run_classifier},
      {"scale", run_scale},   {"checkout", run_checkout},
      {"speech", run_speech}, {"keypad", run_keypad},
      {"web", run_web}};
  auto it = modules.find(name);
  if (it == modules.end()) {
    std::cerr
        << "checkout-edge: no built-in module '" << name
        << "'; the built-in modules are camera, classifier, scale, checkout, speech, keypad, web\n";
    return 2;
  }
  try {
    auto client = ModuleClient::from_environment();
    auto desired = client->wait_for_desired(std::chrono::seconds(10));
    return it->second(*client, desired);
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ce
