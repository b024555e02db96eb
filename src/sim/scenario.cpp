#include "sim/scenario.h"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "checkout-edge/module.h"
#include "common/json_file.h"

namespace ce {

Scenario Scenario::load(const std::string& path) {
  nlohmann::json j = read_json_file(path, "the scenario file");
  Scenario s;
  auto ms = [&](const char* key, long long fallback) {
    if (!j.contains(key)) return fallback;
    if (!j[key].is_number_integer() || j[key].get<long long>() < 0)
      throw std::runtime_error(path + ": " + key + " must be a whole number of milliseconds >= 0");
    return j[key].get<long long>();
  };
  s.lead_in_ms = ms("leadInMs", s.lead_in_ms);
  s.gap_ms = ms("gapMs", s.gap_ms);
  s.item_ms = ms("itemMs", s.item_ms);
  s.settle_ms = ms("settleMs", s.settle_ms);
  if (s.item_ms == 0) throw std::runtime_error(path + ": itemMs must be more than 0");
  if (!j.contains("items") || !j["items"].is_array() || j["items"].empty())
    throw std::runtime_error(path + ": items must be a non-empty array of {image, grams}");
  for (size_t i = 0; i < j["items"].size(); ++i) {
    auto& it = j["items"][i];
    std::string where = path + ": items[" + std::to_string(i) + "]";
    if (!it.is_object() || !it.contains("image") || !it["image"].is_string())
      throw std::runtime_error(where + ".image must be a string (a photo path)");
    if (!it.contains("grams") || !it["grams"].is_number_integer() || it["grams"].get<int>() <= 0)
      throw std::runtime_error(where + ".grams must be a whole number of grams > 0");
    s.items.push_back({it["image"].get<std::string>(), it["grams"].get<int>()});
  }
  return s;
}

Scene Scenario::at(long long t) const {
  Scene scene;
  t -= lead_in_ms;
  if (t < 0) return scene;
  long long slot = gap_ms + item_ms;
  long long n = t / slot;
  if (n >= static_cast<long long>(items.size())) {
    scene.finished = true;
    return scene;
  }
  long long in_slot = t % slot;
  if (in_slot >= gap_ms) {
    scene.index = static_cast<int>(n);
    scene.ms_on_scale = in_slot - gap_ms;
  }
  return scene;
}

long long Scenario::duration_ms() const {
  return lead_in_ms + static_cast<long long>(items.size()) * (gap_ms + item_ms) + gap_ms;
}

long long runtime_started_ms() {
  static const long long started = [] {
    const char* e = std::getenv("CE_RUNTIME_STARTED_MS");
    return e && *e ? std::atoll(e) : now_ms();
  }();
  return started;
}

}  // namespace ce
