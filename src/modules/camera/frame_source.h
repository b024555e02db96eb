// Where frames come from: a V4L2 camera, a network camera (MJPEG over HTTP,
// RTSP), a video file, a folder of images, one image file, or a simulated
// scenario. All decode to BGR cv::Mat.
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
  // The frame to publish now; nullopt when the source is lost (device
  // unplugged, stream dropped, file gone): the camera then reopens it.
  // `encoded` may receive a ready JPEG of the same frame.
  virtual std::optional<cv::Mat> next(std::string* encoded) = 0;
  virtual std::string describe() const = 0;
  // What was set up at open (format, controls), for the twin.
  virtual nlohmann::json report() const { return nlohmann::json::object(); }
};

// Chooses from the camera's desired properties: "scenario" + "imagesRoot",
// or "source" (a /dev/video* path, a device index, a folder, an image file,
// a video file, or an http:// or rtsp:// URL). Throws saying what is wrong;
// a source that is missing now may appear later, so the camera retries.
std::unique_ptr<FrameSource> open_frame_source(const nlohmann::json& desired);

std::unique_ptr<FrameSource> open_capture_source(const std::string& source,
                                                 const nlohmann::json& desired);
std::unique_ptr<FrameSource> open_scenario_source(const std::string& scenario,
                                                  const std::string& images_root);

}  // namespace ce
