// Cameras and streams through OpenCV's videoio: V4L2 for local devices,
// FFmpeg for files and network cameras.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <opencv2/videoio.hpp>
#include <stdexcept>

#include "common/settings.h"
#include "modules/camera/frame_source.h"
#include "modules/camera/v4l2_controls.h"

namespace ce {
namespace {

bool is_url(const std::string& s) { return s.find("://") != std::string::npos; }

class CaptureSource : public FrameSource {
 public:
  CaptureSource(const std::string& source, const nlohmann::json& desired) : source_(source) {
    bool is_index = !source.empty() && std::all_of(source.begin(), source.end(), ::isdigit);
    device_ = is_index ? "/dev/video" + source : source;
    bool v4l2 = device_.rfind("/dev/video", 0) == 0;
    if (!v4l2 && !is_url(source) && !std::filesystem::exists(source))
      throw std::runtime_error("camera source '" + source +
                               "' does not exist: give a /dev/video* device, a device index, "
                               "an image folder or file, a video file, or an http:// or rtsp:// "
                               "URL");
    if (v4l2) {
      // Format first: the driver picks sizes and rates per pixel format.
      std::vector<int> params;
      std::string format = setting<std::string>(desired, "pixelFormat", "");
      if (!format.empty()) {
        if (format != "MJPG" && format != "YUYV")
          throw SettingError("'pixelFormat' must be MJPG or YUYV, not " + format);
        params = {cv::CAP_PROP_FOURCC,
                  cv::VideoWriter::fourcc(format[0], format[1], format[2], format[3])};
      }
      if (int w = setting<int>(desired, "width", 0))
        params.insert(params.end(), {cv::CAP_PROP_FRAME_WIDTH, w});
      if (int h = setting<int>(desired, "height", 0))
        params.insert(params.end(), {cv::CAP_PROP_FRAME_HEIGHT, h});
      if (double fps = setting<double>(desired, "fps", 0); fps > 0)
        params.insert(params.end(), {cv::CAP_PROP_FPS, static_cast<int>(fps)});
      if (!cap_.open(device_, cv::CAP_V4L2, params))
        throw std::runtime_error("cannot open camera " + device_ +
                                 ": is it plugged in and readable (ls -l /dev/video*; the user "
                                 "needs the video group)?");
      cap_.set(cv::CAP_PROP_BUFFERSIZE, 1);  // the newest frame, not a queue of old ones
      applied_ = apply_v4l2_controls(device_, desired.value("controls", nlohmann::json()));
    } else {
      int timeout = setting<int>(desired, "timeoutMs", 5000);
      if (!cap_.open(
              source, cv::CAP_FFMPEG,
              {cv::CAP_PROP_OPEN_TIMEOUT_MSEC, timeout, cv::CAP_PROP_READ_TIMEOUT_MSEC, timeout}))
        throw std::runtime_error("cannot open '" + source +
                                 "': check the file or that the camera's URL answers (for RTSP "
                                 "over TCP set OPENCV_FFMPEG_CAPTURE_OPTIONS=rtsp_transport;tcp)");
      loop_ = !is_url(source) && setting<bool>(desired, "loop", true);
    }
  }

  std::optional<cv::Mat> next(std::string*) override {
    cv::Mat frame;
    if (cap_.read(frame) && !frame.empty()) return frame;
    if (loop_ && cap_.set(cv::CAP_PROP_POS_FRAMES, 0) && cap_.read(frame) && !frame.empty())
      return frame;  // a video file plays again from the start
    return std::nullopt;
  }

  std::string describe() const override { return "capture " + source_; }

  nlohmann::json report() const override {
    int fourcc = static_cast<int>(cap_.get(cv::CAP_PROP_FOURCC));
    std::string format;
    for (int i = 0; i < 4; ++i) format += static_cast<char>((fourcc >> (8 * i)) & 0xff);
    return {{"backend", cap_.getBackendName()},
            {"pixelFormat", format},
            {"cameraFps", cap_.get(cv::CAP_PROP_FPS)},
            {"controls", applied_}};
  }

 private:
  std::string source_, device_;
  cv::VideoCapture cap_;
  bool loop_ = false;
  std::vector<std::string> applied_;
};

}  // namespace

std::unique_ptr<FrameSource> open_capture_source(const std::string& source,
                                                 const nlohmann::json& desired) {
  return std::make_unique<CaptureSource>(source, desired);
}

}  // namespace ce
