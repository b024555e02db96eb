#include "modules/camera/frame_source.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <stdexcept>

#include "checkout-edge/module.h"
#include "common/settings.h"
#include "sim/scenario.h"

namespace fs = std::filesystem;

namespace ce {
namespace {

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

cv::Mat read_image(const std::string& path) {
  cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
  if (img.empty()) throw std::runtime_error(path + ": not a readable image");
  return img;
}

class FolderSource : public FrameSource {
 public:
  explicit FolderSource(const fs::path& dir) : dir_(dir) {
    for (auto& e : fs::recursive_directory_iterator(dir))
      if (e.is_regular_file() && is_image_file(e.path())) files_.push_back(e.path().string());
    std::sort(files_.begin(), files_.end());
    if (files_.empty())
      throw std::runtime_error(dir.string() + ": no .jpg, .png or .bmp images in this folder");
  }
  std::optional<cv::Mat> next(std::string*) override {
    const auto& f = files_[i_++ % files_.size()];
    return read_image(f);
  }
  std::string describe() const override {
    return "folder " + dir_.string() + " (" + std::to_string(files_.size()) + " images)";
  }

 private:
  fs::path dir_;
  std::vector<std::string> files_;
  size_t i_ = 0;
};

class CaptureSource : public FrameSource {
 public:
  CaptureSource(const std::string& source, const nlohmann::json& desired) : source_(source) {
    bool is_index = !source.empty() && std::all_of(source.begin(), source.end(), ::isdigit);
    if (is_index)
      cap_.open(std::stoi(source), cv::CAP_V4L2);
    else if (source.rfind("/dev/video", 0) == 0)
      cap_.open(source, cv::CAP_V4L2);
    else
      cap_.open(source, cv::CAP_ANY);
    if (!cap_.isOpened())
      throw std::runtime_error("cannot open camera source '" + source +
                               "': check the device exists and is readable (ls -l /dev/video*), "
                               "or that the file or URL is valid");
    if (int w = setting<int>(desired, "width", 0)) cap_.set(cv::CAP_PROP_FRAME_WIDTH, w);
    if (int h = setting<int>(desired, "height", 0)) cap_.set(cv::CAP_PROP_FRAME_HEIGHT, h);
  }
  std::optional<cv::Mat> next(std::string*) override {
    cv::Mat frame;
    if (!cap_.read(frame) || frame.empty()) return std::nullopt;
    return frame;
  }
  std::string describe() const override { return "capture " + source_; }

 private:
  std::string source_;
  cv::VideoCapture cap_;
};

class ScenarioSource : public FrameSource {
 public:
  ScenarioSource(const std::string& path, const std::string& root)
      : scenario_(Scenario::load(path)), path_(path) {
    // An empty scale seen from above: a plain light surface.
    empty_ = cv::Mat(348, 348, CV_8UC3, cv::Scalar(205, 210, 210));
    for (auto& item : scenario_.items) {
      std::string full = (fs::path(root) / item.image).string();
      if (!fs::exists(full))
        throw std::runtime_error(path + ": image " + full +
                                 " does not exist; check imagesRoot and the shared assets");
    }
    root_ = root;
  }
  std::optional<cv::Mat> next(std::string* encoded) override {
    Scene scene = scenario_.at(now_ms() - runtime_started_ms());
    if (scene.index < 0) return empty_;
    auto it = cache_.find(scene.index);
    if (it == cache_.end()) {
      std::string file = (fs::path(root_) / scenario_.items[scene.index].image).string();
      std::vector<unsigned char> bytes;
      cv::Mat img = read_image(file);
      cv::imencode(".jpg", img, bytes, {cv::IMWRITE_JPEG_QUALITY, 90});
      it = cache_.emplace(scene.index, std::make_pair(img, std::string(bytes.begin(), bytes.end())))
               .first;
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
  std::map<int, std::pair<cv::Mat, std::string>> cache_;
};

}  // namespace

std::unique_ptr<FrameSource> open_frame_source(const nlohmann::json& desired) {
  if (desired.contains("scenario"))
    return std::make_unique<ScenarioSource>(
        required_setting<std::string>(desired, "scenario", ""),
        required_setting<std::string>(desired, "imagesRoot",
                                      "the folder the scenario's image paths are relative to"));
  std::string source = required_setting<std::string>(
      desired, "source", "a /dev/video* device, a device index, an image folder or a video file");
  if (fs::is_directory(source)) return std::make_unique<FolderSource>(source);
  return std::make_unique<CaptureSource>(source, desired);
}

}  // namespace ce
