// camera: watches the scale and publishes JPEG frames on output "frames"
// only when a new item has settled (scene gating), with its scene id, and
// "item-present" / "item-removed" / "camera-missing" / "camera-back" events
// on output "events". A lost camera is retried with backoff, never by exiting.
#include <atomic>
#include <iostream>
#include <opencv2/imgcodecs.hpp>

#include "common/settings.h"
#include "common/stop_signal.h"
#include "modules/camera/frame_source.h"
#include "modules/camera/scene_gate.h"
#include "modules/modules.h"

namespace ce {

namespace {

struct CameraSettings {
  double fps = 5.0;
  int jpeg_quality = 90;
  bool gating = true;
  SceneGateSettings gate;
  int retry_min_ms = 500, retry_max_ms = 30000;

  static CameraSettings from(const nlohmann::json& d) {
    CameraSettings s;
    s.fps = setting<double>(d, "fps", s.fps);
    if (s.fps <= 0 || s.fps > 120) throw SettingError("desired property 'fps' must be in (0, 120]");
    s.jpeg_quality = setting<int>(d, "jpegQuality", s.jpeg_quality);
    if (s.jpeg_quality < 1 || s.jpeg_quality > 100)
      throw SettingError("desired property 'jpegQuality' must be in 1..100");
    s.gating = setting<bool>(d, "sceneGating", s.gating);
    auto g = d.value("gate", nlohmann::json::object());
    s.gate.pixel_change = setting<double>(g, "pixelChange", s.gate.pixel_change);
    s.gate.motion_threshold = setting<double>(g, "motionThreshold", s.gate.motion_threshold);
    s.gate.presence_threshold = setting<double>(g, "presenceThreshold", s.gate.presence_threshold);
    s.gate.settle_ms = setting<int>(g, "settleMs", s.gate.settle_ms);
    s.gate.frames_per_scene = setting<int>(g, "framesPerScene", s.gate.frames_per_scene);
    if (s.gate.frames_per_scene < 1 || s.gate.settle_ms < 0)
      throw SettingError("gate.framesPerScene must be at least 1 and gate.settleMs not negative");
    s.retry_min_ms = setting<int>(d, "retryMinMs", s.retry_min_ms);
    s.retry_max_ms = std::max(s.retry_min_ms, setting<int>(d, "retryMaxMs", s.retry_max_ms));
    return s;
  }
};

void send_event(ModuleClient& client, const std::string& event, nlohmann::json body = {}) {
  if (body.is_null()) body = nlohmann::json::object();
  body["event"] = event;
  body["time"] = now_ms();
  client.send_output("events", Message::with_json(body));
}

}  // namespace

int run_camera(ModuleClient& client, const nlohmann::json& desired) {
  CameraSettings settings = CameraSettings::from(desired);
  std::mutex settings_mutex;
  SceneGate gate(settings.gate);
  if (auto empty = setting<std::string>(desired, "emptyScene", ""); !empty.empty()) {
    cv::Mat img = cv::imread(empty, cv::IMREAD_COLOR);
    if (img.empty()) throw SettingError("emptyScene " + empty + " is not a readable image");
    gate.set_empty_scene(img);
  }
  // Rate, quality and gating change live; a new source needs a restart
  // (a deploy does that).
  std::atomic<bool> settings_changed = false;
  client.on_desired_change([&](const nlohmann::json& d) {
    try {
      auto s = CameraSettings::from(d);
      std::lock_guard lock(settings_mutex);
      settings = s;
      settings_changed = true;
      client.report(
          {{"fps", s.fps}, {"jpegQuality", s.jpeg_quality}, {"lastDesiredError", nullptr}});
    } catch (const std::exception& e) {
      client.report({{"lastDesiredError", e.what()}});
    }
  });

  std::unique_ptr<FrameSource> source;
  int retry_ms = settings.retry_min_ms;
  std::string last_error;
  long long sent = 0;
  int width = 0, height = 0;
  auto next = std::chrono::steady_clock::now();
  while (!stop_requested()) {
    CameraSettings s;
    {
      std::lock_guard lock(settings_mutex);
      s = settings;
    }
    if (settings_changed.exchange(false)) gate.set_settings(s.gate);

    if (!source) {
      try {
        source = open_frame_source(desired);
      } catch (const SettingError&) {
        throw;  // a wrong setting does not fix itself
      } catch (const std::exception& e) {
        // Missing now, maybe back later (unplugged, stream down): say so once
        // per new error, and try again, less and less often.
        if (e.what() != last_error) {
          std::cerr << "camera: " << e.what() << "; retrying every " << retry_ms << " ms or more\n";
          client.report({{"camera", "missing"}, {"error", e.what()}});
          if (last_error.empty()) send_event(client, "camera-missing", {{"error", e.what()}});
          last_error = e.what();
        }
        if (wait_for_stop(std::chrono::milliseconds(retry_ms))) break;
        retry_ms = std::min(retry_ms * 2, s.retry_max_ms);
        continue;
      }
      std::cerr << "camera: " << source->describe() << " at " << s.fps << " fps\n";
      nlohmann::json report = source->report();
      report.update({{"camera", "connected"},
                     {"source", source->describe()},
                     {"fps", s.fps},
                     {"error", nullptr}});
      client.report(report);
      if (!last_error.empty()) send_event(client, "camera-back", {{"source", source->describe()}});
      last_error.clear();
    }

    std::string jpeg;
    auto frame = source->next(&jpeg);
    if (!frame) {
      source.reset();
      last_error = "lost";
      std::cerr << "camera: lost the source; reopening\n";
      client.report({{"camera", "missing"}, {"error", "the source stopped giving frames"}});
      send_event(client, "camera-missing", {{"error", "the source stopped giving frames"}});
      if (wait_for_stop(std::chrono::milliseconds(retry_ms))) break;
      retry_ms = std::min(retry_ms * 2, s.retry_max_ms);
      continue;
    }
    retry_ms = s.retry_min_ms;  // frames again: the next loss starts the backoff afresh
    long long now = now_ms();
    bool classify = true;
    if (s.gating) {
      auto event = gate.look(*frame, now);
      if (event == SceneGate::Event::ItemPresent)
        send_event(client, "item-present", {{"sceneId", gate.scene_id()}});
      if (event == SceneGate::Event::ItemRemoved) send_event(client, "item-removed");
      if (event != SceneGate::Event::None)
        client.report({{"scene", event == SceneGate::Event::ItemPresent ? "item" : "empty"}});
      classify = gate.take_frame_for_classification();
    }
    if (classify) {
      if (jpeg.empty()) {
        std::vector<unsigned char> bytes;
        cv::imencode(".jpg", *frame, bytes, {cv::IMWRITE_JPEG_QUALITY, s.jpeg_quality});
        jpeg.assign(bytes.begin(), bytes.end());
      }
      Message m = Message::with_bytes(std::move(jpeg), "image/jpeg");
      m.properties["captureTime"] = std::to_string(now);
      m.properties["width"] = std::to_string(frame->cols);
      m.properties["height"] = std::to_string(frame->rows);
      if (s.gating) {
        m.properties["sceneId"] = gate.scene_id();
        m.properties["stillSince"] = std::to_string(gate.still_since_ms());
      }
      client.send_output("frames", m);
      ++sent;
      if (s.gating) client.report({{"framesSent", sent}, {"sceneId", gate.scene_id()}});
    }
    if (frame->cols != width || frame->rows != height) {
      width = frame->cols;
      height = frame->rows;
      client.report({{"width", width}, {"height", height}});
    }
    next += std::chrono::microseconds(static_cast<long long>(1e6 / s.fps));
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        next - std::chrono::steady_clock::now());
    if (wait.count() < 0) next = std::chrono::steady_clock::now();  // fell behind: do not burst
    if (wait_for_stop(std::max(wait, std::chrono::milliseconds(0)))) break;
  }
  std::cerr << "camera: stopped after " << sent << " frames classified\n";
  return 0;
}

}  // namespace ce
