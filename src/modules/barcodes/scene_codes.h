// When a code read in a scene's frames counts: seen in two frames, or once
// (its check digit verified when it was parsed) with no other code read in
// the scene. One code per scene: one item is on the scale.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/product_code.h"

namespace ce {

class SceneCodes {
 public:
  // The codes read in one frame of `scene` (the camera's scene id; "" for a
  // frame of no still scene). Returns the scene's code the first time it counts.
  std::optional<ProductCode> on_frame(const std::string& scene,
                                      const std::vector<ProductCode>& codes);
  // This scene's code counted already.
  bool decided(const std::string& scene) const {
    return decided_ && scene == scene_ && !scene.empty();
  }

 private:
  std::string scene_;
  bool decided_ = false;
  std::map<std::string, int> seen_;  // by the code's GTIN, PLU or text
};

}  // namespace ce
