// The classifier's side of learning from the lane: each scene's photo is
// looked up in the memory and blended with the model, its evidence kept
// until the checkout says what the item was; then the example is kept, and
// the score it had beforehand counts towards the thresholds the lane
// accepts at. The classifier module and `checkout-edge replay` both decide
// through this one class.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "modules/classifier/exemplar_memory.h"
#include "modules/classifier/memory_blend.h"
#include "modules/classifier/model.h"
#include "modules/classifier/scene_evidence.h"

namespace ce {

struct LearningSettings {
  MemoryLimits limits;
  BlendRule rule;
  size_t scenes_kept = 500;  // scenes whose decision may still come (a basket's worth and more)
};

class LaneLearning {
 public:
  // The memory of `model`'s embedding in `dir`/<identity's hash>/, scenes
  // in `dir`/scenes/. Throws for a model without an embedding.
  LaneLearning(std::shared_ptr<const Model> model, const std::filesystem::path& dir,
               LearningSettings settings = {});

  // One frame of a scene, with the model's predictions for the scene so
  // far: the scene's embedding is the mean of its frames'. Returns the
  // blended predictions, highest first, and keeps the scene's evidence.
  std::vector<Prediction> see(const std::string& scene, const std::vector<Prediction>& model,
                              const std::vector<float>& embedding, const std::string& jpeg);

  // The checkout's word on a scene (see docs/architecture.md):
  // {"scene", "tags": [...], "against": bool, "source", "who"} or
  // {"scene", "forget": true}. Returns what was done, for the log; throws
  // BadTeaching for a message that says nothing usable. A word on a scene
  // not seen yet (its code was read before the model looked) is kept for
  // 30 s and applied when the scene's first frame is seen.
  std::string teach(const nlohmann::json& message);

  // For each risk level, the threshold the package's calibration pooled
  // with the memory's own outcomes measures, else the package's (`package`,
  // as its prediction messages carry them). An uncalibrated package's
  // (none) stay none.
  nlohmann::json thresholds_at_risk(const nlohmann::json& package) const;

  // For staff: what was learnt, and taking it back.
  nlohmann::json summary() const;
  bool forget(uint64_t id);
  size_t forget_tag(const std::string& tag);
  std::filesystem::path photo_of(uint64_t id) const;
  size_t export_to(const std::filesystem::path& dir) const;
  // Examples from an export (another lane's, or this one's for a new
  // package): each photo through this model's embedding. Returns how many.
  size_t import_from(const std::filesystem::path& dir);
  // A new package's empty memory, rebuilt from the photos the newest other
  // memory beside it kept (through this model's embedding). Returns the
  // folder it rebuilt from, or empty when there was none or it was not empty.
  std::filesystem::path rebuild_from_kept_photos();
  size_t size() const;
  const std::filesystem::path& folder() const { return memory_dir_; }

 private:
  std::shared_ptr<const Model> model_;
  LearningSettings settings_;
  std::filesystem::path memory_dir_;
  std::unique_ptr<ExemplarMemory> memory_;
  SceneEvidence scenes_;
  mutable std::mutex mutex_;
  std::string scene_;
  std::vector<double> scene_sum_;
  int scene_frames_ = 0;
  bool scene_taught_ = false;
  struct Early {
    nlohmann::json message;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, Early> early_;  // by scene
  std::string teach_locked(const nlohmann::json& message);
};

class BadTeaching : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ce
