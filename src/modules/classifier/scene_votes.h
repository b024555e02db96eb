// Decides over several frames of one still scene: the probabilities of the
// frames are averaged, so one blurred or badly lit frame does not decide.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "modules/classifier/model.h"

namespace ce {

class SceneVotes {
 public:
  // Adds one frame's predictions to its scene; a new scene id starts over,
  // an empty one is a scene of its own. Returns the scene's predictions so
  // far, highest first.
  std::vector<Prediction> add(const std::string& scene_id, const std::vector<Prediction>& frame);
  int frames() const { return frames_; }

 private:
  std::string scene_;
  int frames_ = 0;
  std::map<int, Prediction> sums_;  // by tag id
};

}  // namespace ce
