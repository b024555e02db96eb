// camera: publishes JPEG frames on output "frames" at a steady rate.
#include <atomic>
#include <iostream>
#include <opencv2/imgcodecs.hpp>

#include "common/settings.h"
#include "common/stop_signal.h"
#include "modules/camera/frame_source.h"
#include "modules/modules.h"

namespace ce {

namespace {
double fps_of(const nlohmann::json& desired) {
  double fps = setting<double>(desired, "fps", 5.0);
  if (fps <= 0 || fps > 120) throw SettingError("desired property 'fps' must be in (0, 120]");
  return fps;
}
}  // namespace

int run_camera(ModuleClient& client, const nlohmann::json& desired) {
  std::atomic<double> fps = fps_of(desired);
  std::atomic<int> quality = setting<int>(desired, "jpegQuality", 90);
  auto source = open_frame_source(desired);
  std::cerr << "camera: " << source->describe() << " at " << fps << " fps\n";
  client.report({{"source", source->describe()}, {"fps", fps.load()}});
  // The rate and quality change live; a new source needs a restart (deploy does that).
  client.on_desired_change([&](const nlohmann::json& d) {
    try {
      fps = fps_of(d);
      quality = setting<int>(d, "jpegQuality", 90);
      client.report(
          {{"fps", fps.load()}, {"jpegQuality", quality.load()}, {"lastDesiredError", nullptr}});
    } catch (const std::exception& e) {
      client.report({{"lastDesiredError", e.what()}});
    }
  });

  auto next = std::chrono::steady_clock::now();
  long long sent = 0;
  int width = 0, height = 0;
  while (!stop_requested()) {
    auto period = std::chrono::microseconds(static_cast<long long>(1e6 / fps));
    std::string jpeg;
    auto frame = source->next(&jpeg);
    if (frame) {
      if (jpeg.empty()) {
        std::vector<unsigned char> bytes;
        cv::imencode(".jpg", *frame, bytes, {cv::IMWRITE_JPEG_QUALITY, quality.load()});
        jpeg.assign(bytes.begin(), bytes.end());
      }
      Message m = Message::with_bytes(std::move(jpeg), "image/jpeg");
      m.properties["captureTime"] = m.properties["timestamp"];
      m.properties["width"] = std::to_string(frame->cols);
      m.properties["height"] = std::to_string(frame->rows);
      client.send_output("frames", m);
      ++sent;
      if (frame->cols != width || frame->rows != height) {
        width = frame->cols;
        height = frame->rows;
        client.report({{"width", width}, {"height", height}});
      }
    }
    next += period;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        next - std::chrono::steady_clock::now());
    if (wait.count() < 0) next = std::chrono::steady_clock::now();  // fell behind: do not burst
    if (wait_for_stop(std::max(wait, std::chrono::milliseconds(0)))) break;
  }
  std::cerr << "camera: stopped after " << sent << " frames\n";
  return 0;
}

}  // namespace ce
