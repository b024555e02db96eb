#include "modules/classifier/lane_learning.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <opencv2/imgcodecs.hpp>

#include "common/checksum.h"
#include "common/stop_signal.h"

namespace fs = std::filesystem;

namespace ce {

namespace {

long long wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<float> mean_of(const std::vector<double>& sum, int n) {
  std::vector<float> v(sum.size());
  for (size_t i = 0; i < sum.size(); ++i) v[i] = static_cast<float>(sum[i] / n);
  return v;
}

}  // namespace

LaneLearning::LaneLearning(std::shared_ptr<const Model> model, const fs::path& dir,
                           LearningSettings settings)
    : model_(std::move(model)),
      settings_(settings),
      memory_dir_(dir / sha256_of_text(model_->embedding_identity()).substr(0, 16)),
      scenes_(dir / "scenes", settings.scenes_kept) {
  if (model_->embedding_size() == 0)
    throw std::runtime_error(model_->file() +
                             " gives no embedding, so the lane cannot learn with it: use a package "
                             "made by `checkout-edge train`, or name the tensor in "
                             "\"embeddingOutput\"");
  memory_ = std::make_unique<ExemplarMemory>(memory_dir_, model_->embedding_identity(),
                                             model_->embedding_size(), settings.limits);
}

std::vector<Prediction> LaneLearning::see(const std::string& scene,
                                          const std::vector<Prediction>& model,
                                          const std::vector<float>& embedding,
                                          const std::string& jpeg) {
  std::lock_guard lock(mutex_);
  std::vector<float> projected = memory_->project(embedding);
  if (scene != scene_ || scene.empty()) {
    scene_ = scene;
    scene_sum_.assign(projected.size(), 0.0);
    scene_frames_ = 0;
    // A scene taught before a restart keeps its record as it was taught.
    try {
      auto kept = scene.empty() ? std::nullopt : scenes_.get(scene);
      scene_taught_ = kept && kept->outcome_recorded;
    } catch (const std::exception&) {
      scene_taught_ = false;
    }
  }
  for (size_t i = 0; i < projected.size(); ++i) scene_sum_[i] += projected[i];
  ++scene_frames_;
  std::vector<float> mean = mean_of(scene_sum_, scene_frames_);
  double n = 0;
  for (float x : mean) n += double(x) * x;
  for (float& x : mean) x = static_cast<float>(x / std::sqrt(std::max(n, 1e-12)));
  auto blended =
      blend(model, *memory_, memory_->nearest(mean, settings_.rule.neighbours), settings_.rule);
  // Once taught, later frames of the item (it stays on the scale) must not
  // overwrite the score it was decided by, nor its outcome.
  if (!scene.empty() && !scene_taught_) {
    SceneRecord r;
    r.scene = scene;
    r.identity = memory_->identity();
    r.vector = mean;
    r.top_tag = blended.empty() ? "" : blended.front().tag_name;
    r.top_score = blended.empty() ? 0 : blended.front().probability;
    r.model_top_tag = model.empty() ? "" : model.front().tag_name;
    r.jpeg = jpeg;
    try {
      scenes_.put(r);
    } catch (const std::exception& e) {
      // Recognition goes on; only learning from this scene is lost.
      std::cerr << "classifier: cannot keep scene " << scene << " to learn from: " << e.what()
                << "\n";
    }
  }
  if (auto early = early_.find(scene); early != early_.end()) {
    nlohmann::json message = std::move(early->second.message);
    early_.erase(early);
    try {
      std::cerr << "classifier: " << teach_locked(message) << "\n";
    } catch (const std::exception& e) {
      std::cerr << "classifier: " << e.what() << "\n";
    }
  }
  return blended;
}

std::string LaneLearning::teach(const nlohmann::json& m) {
  std::lock_guard lock(mutex_);
  return teach_locked(m);
}

std::string LaneLearning::teach_locked(const nlohmann::json& m) {
  if (!m.is_object() || !m.contains("scene") || !m["scene"].is_string())
    throw BadTeaching("a teaching names its \"scene\" (the sceneId or frameId it was decided on)");
  std::string scene = m["scene"];
  if (m.value("forget", false)) {
    size_t n = memory_->forget_scene(scene);
    return "forgot " + std::to_string(n) + " example(s) of scene " + scene + " (" +
           m.value("source", std::string("no reason given")) + ")";
  }
  if (!m.contains("tags") || !m["tags"].is_array() || m["tags"].empty() ||
      !m["tags"][0].is_string())
    throw BadTeaching("a teaching names the product's \"tags\"");
  std::optional<SceneRecord> seen;
  try {
    seen = scenes_.get(scene);
  } catch (const std::exception& e) {
    throw BadTeaching(e.what());
  }
  if (!seen) {
    // A product code can decide a scene before the model has looked at it:
    // the word waits for the scene's frame (a few, briefly, never forever).
    auto now = std::chrono::steady_clock::now();
    std::erase_if(early_,
                  [&](const auto& e) { return now - e.second.at > std::chrono::seconds(30); });
    if (early_.size() < 16 && !scene.empty()) {
      early_[scene] = {m, now};
      return "scene " + scene + " is not seen yet: learnt when it is";
    }
    return "scene " + scene + " is no longer kept (or was never seen here): nothing learnt";
  }
  if (seen->identity != memory_->identity())
    return "scene " + scene + " was seen by another model: nothing learnt";
  std::vector<std::string> tags = m["tags"].get<std::vector<std::string>>();
  bool against = m.value("against", false);
  bool top_is_it = std::find(tags.begin(), tags.end(), seen->top_tag) != tags.end();
  // The score the lane had before it knew: an honest measure of the blend.
  if (!seen->outcome_recorded && (!against || top_is_it)) {
    bool model_named_it = std::find(tags.begin(), tags.end(), seen->model_top_tag) != tags.end();
    memory_->record_outcome({seen->top_score, !against && top_is_it,
                             against ? (model_named_it ? 0 : -1) : (model_named_it ? 1 : 0)});
    seen->outcome_recorded = true;
    if (scene == scene_) scene_taught_ = true;
    try {
      scenes_.put(*seen);
    } catch (const std::exception&) {
      // At worst the outcome is counted again for a second teaching.
    }
  }
  Example e;
  e.tag = tags.front();
  e.against = against;
  e.source = m.value("source", "");
  e.who = m.value("who", "");
  e.time_ms = wall_ms();
  e.scene = scene;
  e.vector = seen->vector;
  uint64_t id = memory_->add(std::move(e), against ? std::string() : seen->jpeg);
  return std::string(against ? "kept evidence against " : "learnt ") + tags.front() +
         " from scene " + scene + " (" + m.value("source", std::string("?")) + ", example " +
         std::to_string(id) + ", " + std::to_string(memory_->size()) + " in memory)";
}

nlohmann::json LaneLearning::thresholds_at_risk(const nlohmann::json& package) const {
  // A package without calibration is decided by the lane's plain threshold,
  // as staff set it: a few outcomes would otherwise switch the lane to
  // levels too coarse for its acceptRisk, and it would ask about everything.
  if (model_->risk_curve().empty()) return package;
  std::lock_guard lock(mutex_);
  nlohmann::json out = package.is_object() ? package : nlohmann::json::object();
  // items() does not keep a temporary alive
  const nlohmann::json measured = memory_->thresholds_at_risk(model_->risk_curve());
  for (auto& [level, t] : measured.items()) out[level] = t;
  return out;
}

nlohmann::json LaneLearning::summary() const {
  std::lock_guard lock(mutex_);
  nlohmann::json s = memory_->summary();
  s["folder"] = memory_dir_.string();
  s["rule"] = {{"neighbours", settings_.rule.neighbours},
               {"memoryWeight", settings_.rule.memory_weight},
               {"closestAtLeast", settings_.rule.closest_at_least}};
  return s;
}

bool LaneLearning::forget(uint64_t id) {
  std::lock_guard lock(mutex_);
  return memory_->forget(id);
}

size_t LaneLearning::forget_tag(const std::string& tag) {
  std::lock_guard lock(mutex_);
  return memory_->forget_tag(tag);
}

fs::path LaneLearning::photo_of(uint64_t id) const { return memory_->photo_of(id); }

size_t LaneLearning::size() const {
  std::lock_guard lock(mutex_);
  return memory_->size();
}

size_t LaneLearning::export_to(const fs::path& dir) const {
  std::lock_guard lock(mutex_);
  return memory_->export_to(dir);
}

fs::path LaneLearning::rebuild_from_kept_photos() {
  if (size() > 0) return {};
  fs::path newest;
  fs::file_time_type newest_time;
  std::error_code ec;
  for (auto& d : fs::directory_iterator(memory_dir_.parent_path(), ec)) {
    if (d.path() == memory_dir_ || !fs::exists(d.path() / "memory.log")) continue;
    auto t = fs::last_write_time(d.path() / "memory.log", ec);
    if (newest.empty() || t > newest_time) newest = d.path(), newest_time = t;
  }
  auto whose = newest.empty() ? std::nullopt : ExemplarMemory::identity_of(newest);
  if (!whose) return {};
  fs::path copy = memory_dir_ / "rebuilding";
  fs::remove_all(copy, ec);
  {
    ExemplarMemory old(newest, whose->first, whose->second, settings_.limits);
    old.export_to(copy);
  }
  import_from(copy);
  fs::remove_all(copy, ec);
  return newest;
}

size_t LaneLearning::import_from(const fs::path& dir) {
  std::ifstream in(dir / "examples.jsonl");
  if (!in) throw std::runtime_error((dir / "examples.jsonl").string() + ": no exported memory");
  size_t n = 0, line_no = 0;
  std::string line;
  while (std::getline(in, line) && !stop_requested()) {
    ++line_no;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("tag") || !j["tag"].is_string() || !j.contains("photo") ||
        !j["photo"].is_string())
      continue;  // evidence against, and examples without a photo, stay where they were learnt
    std::string photo = j["photo"];
    if (photo.find("..") != std::string::npos || photo.empty() || photo[0] == '/')
      throw std::runtime_error((dir / "examples.jsonl").string() + " line " +
                               std::to_string(line_no) + ": a photo outside the export");
    std::ifstream f(dir / photo, std::ios::binary);
    std::string jpeg((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    cv::Mat img = model_->decode(jpeg);
    if (img.empty()) continue;
    std::vector<float> embedding;
    model_->classify(img, &embedding);
    std::lock_guard lock(mutex_);
    Example e;
    e.tag = j["tag"];
    e.against = j.value("against", false);
    e.source = "import";
    e.who = j.value("who", "");
    e.time_ms = j.value("timeMs", wall_ms());
    e.scene = j.value("scene", "");
    e.vector = memory_->project(embedding);
    memory_->add(std::move(e), jpeg);
    ++n;
  }
  return n;
}

}  // namespace ce
