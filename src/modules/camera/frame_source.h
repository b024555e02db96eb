// Where frames come from: a V4L2 device, a video file, a folder of images,
// or a simulated scenario. All decode to BGR cv::Mat.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <optional>
#include <string>

namespace ce {

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // The frame to publish now; nullopt when there is none (end of a video,
  // device gone). `encoded` may hold a ready JPEG of the same frame.
  virtual std::optional<cv::Mat> next(std::string* encoded) = 0;
  virtual std::string describe() const = 0;
};

// Chooses from the camera's desired properties: "scenario" + "imagesRoot",
// or "source" (a /dev/video* path, a device index, a folder, or a video file/URL).
std::unique_ptr<FrameSource> open_frame_source(const nlohmann::json& desired);

}  // namespace ce
