// The simulated checkout's camera: an empty scale, then the scenario's
// items one after another, in step with the simulated scale.
#include <filesystem>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <stdexcept>

#include "checkout-edge/module.h"
#include "modules/camera/frame_source.h"
#include "sim/scenario.h"

namespace fs = std::filesystem;

namespace ce {
namespace {

class ScenarioSource : public FrameSource {
 public:
  ScenarioSource(const std::string& path, const std::string& root)
      : scenario_(Scenario::load(path)), path_(path), root_(root) {
    // An empty scale seen from above: a plain light surface.
    empty_ = cv::Mat(348, 348, CV_8UC3, cv::Scalar(205, 210, 210));
    for (auto& item : scenario_.items) {
      std::string full = (fs::path(root) / item.image).string();
      if (!fs::exists(full))
        throw std::runtime_error(path + ": image " + full +
                                 " does not exist; check imagesRoot and the shared assets");
    }
  }
  std::optional<cv::Mat> next(std::string* encoded) override {
    Scene scene = scenario_.at(now_ms() - runtime_started_ms());
    if (scene.index < 0) return empty_;
    // By photo, not by placement: a long scenario shows the same few photos
    // many times, and memory must not grow with the number of placements.
    const std::string& image = scenario_.items[scene.index].image;
    auto it = cache_.find(image);
    if (it == cache_.end()) {
      std::string file = (fs::path(root_) / image).string();
      cv::Mat img = cv::imread(file, cv::IMREAD_COLOR);
      if (img.empty()) throw std::runtime_error(file + ": not a readable image");
      std::vector<unsigned char> bytes;
      cv::imencode(".jpg", img, bytes, {cv::IMWRITE_JPEG_QUALITY, 90});
      it =
          cache_.emplace(image, std::make_pair(img, std::string(bytes.begin(), bytes.end()))).first;
    }
    if (encoded) *encoded = it->second.second;
    return it->second.first;
  }
  std::string describe() const override {
    return "scenario " + path_ + " (" + std::to_string(scenario_.items.size()) + " items)";
  }

 private:
  Scenario scenario_;
  std::string path_, root_;
  cv::Mat empty_;
  std::map<std::string, std::pair<cv::Mat, std::string>> cache_;  // photo, JPEG by image path
};

}  // namespace

std::unique_ptr<FrameSource> open_scenario_source(const std::string& scenario,
                                                  const std::string& images_root) {
  return std::make_unique<ScenarioSource>(scenario, images_root);
}

}  // namespace ce
