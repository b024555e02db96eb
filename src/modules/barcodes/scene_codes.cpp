#include "modules/barcodes/scene_codes.h"

namespace ce {

static std::string key_of(const ProductCode& code) {
  return !code.gtin.empty() ? code.gtin : !code.plu.empty() ? code.plu : code.text;
}

std::optional<ProductCode> SceneCodes::on_frame(const std::string& scene,
                                                const std::vector<ProductCode>& codes) {
  if (scene != scene_ || scene.empty()) {
    // A frame outside a still scene belongs to no scene: its reads do not
    // add up with those of frames that showed something else.
    if (scene != scene_) seen_.clear();
    scene_ = scene;
    decided_ = false;
  }
  if (decided_) return std::nullopt;
  for (const auto& code : codes) ++seen_[key_of(code)];
  for (const auto& code : codes) {
    if (seen_[key_of(code)] >= 2 || seen_.size() == 1) {
      decided_ = true;
      return code;
    }
  }
  return std::nullopt;
}

}  // namespace ce
