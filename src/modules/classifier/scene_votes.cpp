#include "modules/classifier/scene_votes.h"

#include <algorithm>

namespace ce {

std::vector<Prediction> SceneVotes::add(const std::string& scene_id,
                                        const std::vector<Prediction>& frame) {
  if (scene_id.empty() || scene_id != scene_) {
    sums_.clear();
    frames_ = 0;
    scene_ = scene_id;
  }
  ++frames_;
  for (const auto& p : frame) {
    auto [it, added] = sums_.try_emplace(p.tag_id, p);
    if (!added) it->second.probability += p.probability;
  }
  std::vector<Prediction> mean;
  for (auto [id, p] : sums_) {
    p.probability /= static_cast<float>(frames_);
    mean.push_back(p);
  }
  std::stable_sort(mean.begin(), mean.end(),
                   [](auto& a, auto& b) { return a.probability > b.probability; });
  return mean;
}

}  // namespace ce
