// camera: watches the scale and publishes JPEG frames on output "frames"
// only when a new item has settled (scene gating), with its scene id, and
// "item-present" / "item-removed" / "camera-missing" / "camera-back" events
// on output "events". A lost camera is retried with backoff, never by exiting.
#include <atomic>
#include <filesystem>
#include <iostream>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>

#include "common/files.h"
#include "common/settings.h"
#include "common/stop_signal.h"
#include "modules/camera/frame_source.h"
#include "modules/camera/scene_gate.h"
#include "modules/modules.h"
#include "sim/scenario.h"

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
    s.fps = setting_in<double>(d, "fps", s.fps, 0.1, 120, "frames a second");
    s.jpeg_quality = setting_in<int>(d, "jpegQuality", s.jpeg_quality, 1, 100);
    s.gating = setting<bool>(d, "sceneGating", s.gating);
    auto g = d.value("gate", nlohmann::json::object());
    if (!g.is_object()) throw SettingError("desired property 'gate' must be an object");
    auto share = [&](const char* key, double fallback) {
      return setting_in<double>(g, std::string(key), fallback, 0, 1, "(a share of the pixels)");
    };
    s.gate.pixel_change =
        setting_in<double>(g, "pixelChange", s.gate.pixel_change, 0, 255, "grey levels");
    s.gate.motion_threshold = share("motionThreshold", s.gate.motion_threshold);
    s.gate.presence_threshold = share("presenceThreshold", s.gate.presence_threshold);
    s.gate.settle_ms = setting_in<int>(g, "settleMs", s.gate.settle_ms, 0, 60000, "ms");
    s.gate.frames_per_scene = setting_in<int>(g, "framesPerScene", s.gate.frames_per_scene, 1, 100);
    s.gate.repeat_ms = setting_in<int>(g, "repeatMs", s.gate.repeat_ms, 0, 600000, "ms");
    s.retry_min_ms = setting_in<int>(d, "retryMinMs", s.retry_min_ms, 10, 600000, "ms");
    s.retry_max_ms = std::max(s.retry_min_ms,
                              setting_in<int>(d, "retryMaxMs", s.retry_max_ms, 10, 3600000, "ms"));
    return s;
  }
};

void send_event(ModuleClient& client, const std::string& event, nlohmann::json body = {}) {
  if (body.is_null()) body = nlohmann::json::object();
  body["event"] = event;
  body["time"] = now_ms();
  client.send_output("events", Message::with_json(body));
}

// The photo of the empty scale staff gave, if any.
cv::Mat empty_scene_photo(const nlohmann::json& desired) {
  std::string path = setting<std::string>(desired, "emptyScene", "");
  if (path.empty()) return {};
  cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
  if (img.empty())
    throw SettingError("desired property 'emptyScene': " + path + " is not a readable image");
  return img;
}

}  // namespace

void check_camera_settings(const nlohmann::json& desired) {
  CameraSettings::from(desired);
  empty_scene_photo(desired);
  if (desired.contains("scenario")) {
    Scenario::load(required_setting<std::string>(desired, "scenario", "the scenario file"));
    required_setting<std::string>(desired, "imagesRoot",
                                  "the folder the scenario's image paths are relative to");
  } else {
    required_setting<std::string>(desired, "source",
                                  "a /dev/video* device, an image folder or file, a video file, "
                                  "or an http:// or rtsp:// URL");
  }
  setting_in<int>(desired, "width", 0, 0, 16384, "pixels");
  setting_in<int>(desired, "height", 0, 0, 16384, "pixels");
  setting<std::string>(desired, "pixelFormat", "");
  setting_in<int>(desired, "timeoutMs", 5000, 1, 600000, "ms");
  setting<bool>(desired, "loop", true);
  if (desired.contains("controls") && !desired["controls"].is_object())
    throw SettingError("desired property 'controls' must be an object of v4l2 control: value");
}

int run_camera(ModuleClient& client, const nlohmann::json& desired) {
  // A frame's work (a 64x48 thumbnail, a JPEG now and then) is too small to
  // share: OpenCV's thread pool cost more waking and spinning than it saved,
  // five times a second on an idle lane.
  cv::setNumThreads(1);
  CameraSettings settings = CameraSettings::from(desired);
  std::mutex settings_mutex;
  SceneGate gate(settings.gate);
  // What the empty scale looks like: staff's photo, else what this camera
  // learnt before it restarted (else the first still scene it sees).
  const char* data = std::getenv("CE_DATA_DIR");
  std::string learnt = data ? std::string(data) + "/empty-scene.png" : "";
  if (cv::Mat photo = empty_scene_photo(desired); !photo.empty()) {
    gate.set_empty_scene(photo);
  } else if (!learnt.empty() && std::filesystem::exists(learnt)) {
    gate.set_empty_thumbnail(cv::imread(learnt, cv::IMREAD_GRAYSCALE));
    std::cerr << "camera: the empty scene is the one learnt before the restart\n";
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

  // The checkout has a settled weight that nothing has decided yet: a frame
  // is taken now, not at the next tick, and sent whatever the gate says. The
  // scale is the better judge of an item at rest than a gate that compares
  // frames 1/fps apart, so a slow, frugal camera still reads the item's code
  // moments after the weight settles.
  std::atomic<bool> frame_wanted = false;
  // A checkout that asks in a flood (broken, or its code hostile) gets at
  // most ten frames a second beyond the camera's own rate: the rest wait
  // for the next tick.
  // On the steady clock: a wall clock set back must not silence the wake.
  std::atomic<std::chrono::steady_clock::time_point> woken{};
  client.on_input("frameWanted", [&](const Message&) {
    frame_wanted = true;
    auto now = std::chrono::steady_clock::now();
    if (now - woken.load() < std::chrono::milliseconds(100)) return;
    woken = now;
    wake_waiting();
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
    bool wanted = frame_wanted.exchange(false);
    if (s.gating) {
      auto event = gate.look(*frame, now);
      if (wanted && event == SceneGate::Event::None) event = gate.item_at_rest(now);
      if (event == SceneGate::Event::ItemPresent)
        send_event(client, "item-present", {{"sceneId", gate.scene_id()}});
      if (event == SceneGate::Event::ItemRemoved) send_event(client, "item-removed");
      if (event != SceneGate::Event::None)
        client.report({{"scene", event == SceneGate::Event::ItemPresent ? "item" : "empty"}});
      classify = gate.take_frame_for_classification(now) || wanted;
      if (gate.take_empty_learned() && !learnt.empty()) {
        cv::Mat grey;
        gate.empty_thumbnail().convertTo(grey, CV_8U);
        std::vector<unsigned char> png;
        cv::imencode(".png", grey, png);
        try {
          write_file_atomically(learnt, std::string(png.begin(), png.end()));
        } catch (const std::exception& e) {
          std::cerr << "camera: cannot keep the empty scene: " << e.what() << "\n";
        }
      }
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
      if (s.gating && gate.holds_still_item()) {
        m.properties["sceneId"] = gate.scene_id();
        m.properties["stillSince"] = std::to_string(gate.still_since_ms());
      }
      client.send_latest("frames", std::move(m));
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
    // Woken for a wanted frame: it is taken now, the next ones on the old beat.
    if (frame_wanted && std::chrono::steady_clock::now() < next)
      next -= std::chrono::microseconds(static_cast<long long>(1e6 / s.fps));
  }
  std::cerr << "camera: stopped after " << sent << " frames classified\n";
  return 0;
}

}  // namespace ce
