// Shared assets for the vision tests: models and store photos.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ce::vision_testing {

inline std::string shared_dir() {
  const char* e = std::getenv("CHECKOUT_EDGE_SHARED");
  return e && *e ? e : CE_DEFAULT_SHARED;
}
inline std::string exports_dir() { return shared_dir() + "/models/custom-vision-exports"; }
inline std::string squeezenet(const std::string& file) {
  return shared_dir() + "/models/imagenet-squeezenet/" + file;
}
inline nlohmann::json squeezenet_description(const std::string& file = "SqueezeNet_fp32.onnx") {
  return {{"file", squeezenet(file)},
          {"labels", squeezenet("Labels.txt")},
          {"resize", "shorter-side"},
          {"mean", {104, 117, 123}}};
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Store photos from the validation split whose path contains `part`.
inline std::vector<std::string> photos(const std::string& part, size_t limit) {
  std::vector<std::string> out;
  std::ifstream list(shared_dir() + "/datasets/grocery-store/val.txt");
  std::string line;
  while (out.size() < limit && std::getline(list, line)) {
    std::string path = line.substr(0, line.find(','));
    if (path.find(part) != std::string::npos)
      out.push_back(shared_dir() + "/datasets/grocery-store/" + path);
  }
  return out;
}

}  // namespace ce::vision_testing
