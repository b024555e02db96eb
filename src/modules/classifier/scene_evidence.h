// What the classifier saw of each recent scene, kept on disk until the
// checkout decides what the item was: the scene's embedding (in the
// memory's projection), the photo, and the score it was decided by. An
// answer may come at once, a payment many minutes later, and the
// classifier may have restarted in between.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ce {

struct SceneRecord {
  std::string scene;
  std::string identity;  // the memory (package embedding) it was projected for
  std::vector<float> vector;
  std::string top_tag;
  std::string model_top_tag;  // the model's own, before the memory
  double top_score = 0;       // blended, as the checkout was told, before it was learnt
  bool outcome_recorded = false;
  std::string jpeg;
};

class SceneEvidence {
 public:
  SceneEvidence(std::filesystem::path dir, size_t keep = 500);
  // Written whole (a kill leaves the old record or the new); the oldest
  // beyond `keep` go.
  void put(const SceneRecord& record);
  std::optional<SceneRecord> get(const std::string& scene) const;

 private:
  std::filesystem::path file_of(const std::string& scene) const;
  std::filesystem::path dir_;
  size_t keep_;
  size_t puts_ = 0;
};

}  // namespace ce
