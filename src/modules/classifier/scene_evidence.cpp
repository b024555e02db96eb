#include "modules/classifier/scene_evidence.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "common/files.h"

namespace fs = std::filesystem;

namespace ce {

SceneEvidence::SceneEvidence(fs::path dir, size_t keep) : dir_(std::move(dir)), keep_(keep) {
  fs::create_directories(dir_);
}

fs::path SceneEvidence::file_of(const std::string& scene) const {
  // Scene ids come over the hub: only their safe characters name a file.
  std::string name;
  for (char c : scene)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') name += c;
  if (name.empty() || name.size() > 80 || name.size() != scene.size())
    throw std::runtime_error("scene id '" + scene.substr(0, 80) + "' is not a message id");
  return dir_ / (name + ".scene");
}

// A JSON line, the vector's floats, then the JPEG.
void SceneEvidence::put(const SceneRecord& r) {
  nlohmann::json head{{"scene", r.scene},
                      {"identity", r.identity},
                      {"dimension", r.vector.size()},
                      {"topTag", r.top_tag},
                      {"modelTopTag", r.model_top_tag},
                      {"topScore", r.top_score},
                      {"outcomeRecorded", r.outcome_recorded}};
  std::string bytes = head.dump() + "\n";
  bytes.append(reinterpret_cast<const char*>(r.vector.data()), r.vector.size() * sizeof(float));
  bytes += r.jpeg;
  write_file_atomically(file_of(r.scene), bytes);
  if (++puts_ % 50 == 0) keep_newest_files(dir_, ".scene", keep_);
}

std::optional<SceneRecord> SceneEvidence::get(const std::string& scene) const {
  fs::path file = file_of(scene);
  if (!fs::exists(file)) return std::nullopt;
  std::string bytes = read_file(file);
  auto eol = bytes.find('\n');
  if (eol == std::string::npos) return std::nullopt;
  auto head = nlohmann::json::parse(bytes.substr(0, eol), nullptr, false);
  if (!head.is_object()) return std::nullopt;
  SceneRecord r;
  r.scene = head.value("scene", "");
  r.identity = head.value("identity", "");
  r.top_tag = head.value("topTag", "");
  r.model_top_tag = head.value("modelTopTag", "");
  r.top_score = head.value("topScore", 0.0);
  r.outcome_recorded = head.value("outcomeRecorded", false);
  size_t dim = head.value("dimension", size_t{0});
  if (eol + 1 + dim * sizeof(float) > bytes.size()) return std::nullopt;
  r.vector.resize(dim);
  std::memcpy(r.vector.data(), bytes.data() + eol + 1, dim * sizeof(float));
  r.jpeg = bytes.substr(eol + 1 + dim * sizeof(float));
  return r;
}

}  // namespace ce
