// What the lane has learnt from its own answers: embeddings of decided
// photos with the tag they were confirmed as (or evidence against a tag),
// looked up by nearest neighbour so that the second time a store's item is
// seen it is known, without retraining.
//
// A memory belongs to one package's embedding (its `identity`); it lives in
// a folder of its own, as an append-only log of CRC-checked records, so a
// kill -9 in the middle of keeping an example loses at most that example.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "modules/classifier/risk_curve.h"

namespace ce {

struct MemoryLimits {
  size_t max_examples = 20000;
  size_t max_per_tag = 500;
  size_t max_photos = 2000;  // JPEGs kept for retraining, newest first
  size_t outcomes_kept = 5000;
};

struct Example {
  uint64_t id = 0;
  std::string tag;
  bool against = false;  // evidence that the photo is NOT `tag` (a void, "none of these")
  std::string source;    // "answer", "paid", "staff", "import"
  std::string who;       // the keypad, the kiosk, a staff account
  long long time_ms = 0;
  std::string scene;  // the scene (or frame) it was decided on
  std::vector<float> vector;
  bool has_photo = false;
};

// A decided scan, scored before the memory held it.
struct Outcome {
  double score = 0;        // the lane's top score (model and memory blended)
  bool correct = false;    // the lane's top tag was what the item was
  int model_correct = -1;  // the model's own top tag was: 1, 0, or -1 unknown
};

struct Neighbour {
  size_t index = 0;  // into examples()
  float similarity = 0;
};

class ExemplarMemory {
 public:
  // Opens (or starts) the memory in `dir` for an embedding of
  // `input_dimension` floats. `identity` names the package whose embedding
  // it holds; a folder that holds another's is refused (its log says whose).
  ExemplarMemory(std::filesystem::path dir, std::string identity, size_t input_dimension,
                 MemoryLimits limits = {});
  ~ExemplarMemory();
  // Whose memory a folder is: {identity, input dimension}; nullopt when it
  // holds none.
  static std::optional<std::pair<std::string, size_t>> identity_of(
      const std::filesystem::path& dir);
  ExemplarMemory(const ExemplarMemory&) = delete;
  ExemplarMemory& operator=(const ExemplarMemory&) = delete;

  // The embedding as the memory compares it: projected to a fixed size
  // (the same projection for the life of the memory) and unit length.
  std::vector<float> project(const std::vector<float>& embedding) const;

  // Keeps a projected example (and its photo, a JPEG, if given). Returns its
  // id. A newer example from the same scene replaces the older one.
  uint64_t add(Example example, const std::string& jpeg = {});
  // Takes back whatever was learnt from a scene (its basket was cancelled).
  size_t forget_scene(const std::string& scene);
  bool forget(uint64_t id);
  size_t forget_tag(const std::string& tag);

  // The k most similar examples, most similar first.
  std::vector<Neighbour> nearest(const std::vector<float>& projected, size_t k) const;
  const std::vector<Example>& examples() const { return examples_; }
  size_t size() const { return examples_.size(); }
  size_t dimension() const { return dimension_; }
  const std::string& identity() const { return identity_; }
  std::filesystem::path photo_of(uint64_t id) const;

  // What the lane decided, scored before this memory held the example:
  // the top score and whether the top tag was right. These, never scores
  // taken after learning, set the thresholds the lane accepts at.
  void record_outcome(const Outcome& outcome);
  const std::vector<Outcome>& outcomes() const { return outcomes_; }
  // {"0.01": threshold, ...} for the levels the outcomes can measure,
  // pooled with `prior` (the package's calibration, scored the same way:
  // on photos the model had not learnt from) point by point.
  nlohmann::json thresholds_at_risk(const std::vector<RiskPoint>& prior = {}) const;

  // Per tag: count, evidence against, sources, the newest examples.
  nlohmann::json summary(size_t newest_per_tag = 4) const;

  // A portable copy: examples.jsonl (tag, source, time, who, scene, the
  // raw photo's file) and the photos. A memory of another package imports
  // it from the photos, through its own embedding (`embed`).
  size_t export_to(const std::filesystem::path& dir) const;

 private:
  void append(char type, const nlohmann::json& meta, const std::vector<float>& vec = {},
              bool sync = true);
  void load();
  void apply(char type, const nlohmann::json& meta, std::vector<float> vec);
  void erase_at(size_t index);
  size_t forget_where(const std::function<bool(const Example&)>& which);
  void evict_for(const std::string& tag);
  void compact();
  void trim_photos();

  std::filesystem::path dir_, log_path_;
  std::string identity_;
  size_t input_dimension_, dimension_;
  MemoryLimits limits_;
  std::vector<float> projection_;  // input_dimension_ x dimension_, row-major
  std::vector<Example> examples_;
  std::vector<float> matrix_;  // examples_' vectors, one row each
  std::vector<Outcome> outcomes_;
  uint64_t next_id_ = 1;
  size_t records_ = 0;  // in the log, live or not: compaction when it is mostly dead
  int fd_ = -1;
};

}  // namespace ce
