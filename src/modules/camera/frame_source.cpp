#include "modules/camera/frame_source.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <stdexcept>

#include "common/image_files.h"
#include "common/settings.h"

namespace fs = std::filesystem;

namespace ce {
namespace {

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
    cv::Mat img = cv::imread(f, cv::IMREAD_COLOR);
    if (img.empty()) return std::nullopt;  // removed or half-written: reopen the folder
    return img;
  }
  std::string describe() const override {
    return "folder " + dir_.string() + " (" + std::to_string(files_.size()) + " images)";
  }

 private:
  fs::path dir_;
  std::vector<std::string> files_;
  size_t i_ = 0;
};

// One image, read again for every frame: a camera that always sees the
// same thing, until the file is replaced or removed.
class ImageFileSource : public FrameSource {
 public:
  explicit ImageFileSource(std::string path) : path_(std::move(path)) {
    if (!read()) throw std::runtime_error(path_ + ": not a readable image");
  }
  std::optional<cv::Mat> next(std::string* encoded) override {
    if (!read()) return std::nullopt;
    if (encoded) *encoded = bytes_;
    return image_;
  }
  std::string describe() const override { return "image " + path_; }

 private:
  bool read() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return false;
    std::string bytes{std::istreambuf_iterator<char>(in), {}};
    if (bytes != bytes_ || image_.empty()) {
      cv::Mat img =
          cv::imdecode(cv::Mat(1, int(bytes.size()), CV_8UC1, bytes.data()), cv::IMREAD_COLOR);
      if (img.empty()) return false;
      image_ = img;
      bytes_ = std::move(bytes);
    }
    return true;
  }
  std::string path_, bytes_;
  cv::Mat image_;
};

}  // namespace

std::unique_ptr<FrameSource> open_frame_source(const nlohmann::json& desired) {
  if (desired.contains("scenario"))
    return open_scenario_source(
        required_setting<std::string>(desired, "scenario", ""),
        required_setting<std::string>(desired, "imagesRoot",
                                      "the folder the scenario's image paths are relative to"));
  std::string source = required_setting<std::string>(
      desired, "source",
      "a /dev/video* device, a device index, an image folder or file, a video file, or an "
      "http:// or rtsp:// URL");
  if (fs::is_directory(source)) return std::make_unique<FolderSource>(source);
  if (is_image_file(source)) {
    if (!fs::exists(source)) throw std::runtime_error("image " + source + " does not exist");
    return std::make_unique<ImageFileSource>(source);
  }
  return open_capture_source(source, desired);
}

}  // namespace ce
