// classifier: classifies the frames on input "frames" and publishes the
// predictions on output "predictions", averaged over the frames of one still
// scene; also serves the Custom Vision container's REST API when "restPort"
// is set.
#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <opencv2/core/utility.hpp>
#include <thread>

#include "common/settings.h"
#include "common/stop_signal.h"
#include "hub/admin_auth.h"
#include "modules/classifier/latest_frames.h"
#include "modules/classifier/model.h"
#include "modules/classifier/prediction_json.h"
#include "modules/classifier/rest_api.h"
#include "modules/classifier/scene_votes.h"
#include "modules/classifier/served_model.h"
#include "modules/modules.h"

namespace ce {

namespace {

struct ClassifierSettings {
  size_t max_predictions = 100000;  // every tag, as the container sends
  size_t candidates = 4;            // what a commercial scale shows
  int instances = 1;
  int threads = 0;                    // 0: OpenCV's choice
  size_t frames_kept = 4;             // waiting to be classified; older ones are dropped
  long long max_frame_age_ms = 2000;  // an older frame no longer shows what is on the scale
  int rest_port = 0;
  std::string rest_host = "127.0.0.1";

  static ClassifierSettings from(const nlohmann::json& d) {
    ClassifierSettings s;
    if (!d.contains("model"))
      throw SettingError(
          "desired property 'model' is missing: give a model package folder, or "
          "{\"file\": ..., \"labels\": ...}");
    s.max_predictions = setting_in<size_t>(d, "maxPredictions", s.max_predictions, 1, 100000);
    s.candidates = setting_in<size_t>(d, "candidates", s.candidates, 1, 100);
    s.instances = setting_in<int>(d, "instances", s.instances, 1, 16);
    s.threads = setting_in<int>(d, "threads", s.threads, 0, 64);
    s.rest_port = setting_in<int>(d, "restPort", s.rest_port, 0, 65535, "(0: no REST API)");
    s.rest_host = setting<std::string>(d, "restHost", s.rest_host);
    s.frames_kept = setting_in<size_t>(d, "framesKept", s.frames_kept, 1, 100);
    s.max_frame_age_ms =
        setting_in<long long>(d, "maxFrameAgeMs", s.max_frame_age_ms, 100, 600000, "ms");
    return s;
  }
};

bool is_loopback(const std::string& host) {
  return host.rfind("127.", 0) == 0 || host == "::1" || host == "localhost";
}

// The REST key lives beside the module's data (0600), the same across
// restarts so that the store's clients keep working.
std::string read_or_make_key(const std::filesystem::path& file) {
  if (std::filesystem::exists(file)) return read_admin_key(file);
  return create_admin_key(file);
}

nlohmann::json candidates_json(const std::vector<Prediction>& predictions, size_t n) {
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < predictions.size() && i < n; ++i)
    list.push_back(
        {{"tagName", predictions[i].tag_name}, {"probability", predictions[i].probability}});
  return list;
}

}  // namespace

void check_classifier_settings(const nlohmann::json& desired) {
  ClassifierSettings::from(desired);
  ModelPackage::resolve(desired["model"]);  // the files are there; nothing is loaded
}

int run_classifier(ModuleClient& client, const nlohmann::json& desired) {
  auto settings = ClassifierSettings::from(desired);
  if (settings.threads > 0) cv::setNumThreads(settings.threads);
  std::atomic<size_t> max_predictions = settings.max_predictions;
  std::atomic<size_t> candidates = settings.candidates;
  ServedModel served(std::make_shared<Model>(Model::load(desired["model"], settings.instances)));
  auto loaded = served.get();
  std::cerr << "classifier: loaded " << loaded->file() << " (" << loaded->labels().size()
            << " tags, version " << loaded->version() << ")\n";
  for (const auto& fix : loaded->describe()["loadFixes"])
    std::cerr << "classifier: at load time, " << fix.get<std::string>() << "\n";
  client.report(loaded->describe());

  // Loads first, swaps after: a model that fails to load changes nothing,
  // and requests in flight finish on the model they started with.
  std::mutex reload_mutex;
  nlohmann::json current = desired["model"];
  auto reload = [&](const nlohmann::json& description) {
    std::lock_guard lock(reload_mutex);
    auto next = std::make_shared<Model>(Model::load(description, settings.instances));
    served.set(next);
    current = description;
    nlohmann::json report = next->describe();
    report["lastReloadError"] = nullptr;
    report["loadedMs"] = now_ms();
    client.report(report);
    std::cerr << "classifier: now serving " << next->file() << " (version " << next->version()
              << ")\n";
    return next;
  };
  client.on_desired_change([&](const nlohmann::json& d) {
    try {
      auto s = ClassifierSettings::from(d);
      max_predictions = s.max_predictions;
      candidates = s.candidates;
      if (!d.contains("model")) return;
      {
        std::lock_guard lock(reload_mutex);
        if (d["model"] == current) return;
      }
      reload(d["model"]);
    } catch (const std::exception& e) {
      std::cerr << "classifier: kept the running model and settings: " << e.what() << "\n";
      client.report({{"lastReloadError", e.what()}});
    }
  });
  client.on_method("reloadModel", [&](const nlohmann::json& request) {
    nlohmann::json description;
    {
      std::lock_guard lock(reload_mutex);
      description = request.contains("model") ? request["model"] : current;
    }
    try {
      auto model = reload(description);
      return MethodResult{200, model->describe()};
    } catch (const std::exception& e) {
      client.report({{"lastReloadError", e.what()}});
      return MethodResult{400, {{"error", std::string(e.what()) + "; the running model is kept"}}};
    }
  });

  // The hub's thread only hands frames over; one worker classifies the
  // newest, so the broker never queues frames behind a slow model.
  LatestFrames frames(settings.frames_kept);
  client.on_input("frames", [&](const Message& frame) { frames.push(frame); });
  SceneVotes votes;
  long long classified = 0, last_dropped = 0;
  auto classify = [&](const Message& frame) {
    long long captured =
        std::atoll(frame.property("captureTime", frame.property("timestamp")).c_str());
    if (captured > 0 && now_ms() - captured > settings.max_frame_age_ms) {
      frames.count_stale();
      return;
    }
    auto model = served.get();
    cv::Mat img = model->decode(frame.body);
    if (img.empty()) {
      std::cerr << "classifier: frame " << frame.id() << " is not a readable image; skipped\n";
      return;
    }
    std::string scene = frame.property("sceneId");
    auto predictions = votes.add(scene, model->classify(img));
    nlohmann::json body = custom_vision_response(predictions, max_predictions, model->version());
    body["candidates"] = candidates_json(predictions, candidates);
    // The checkout decides at the risk it is set to accept.
    if (!model->thresholds_at_risk().empty()) body["thresholdAtRisk"] = model->thresholds_at_risk();
    body["frames"] = votes.frames();
    Message out = Message::with_json(body);
    out.properties["captureTime"] = frame.property("captureTime", frame.property("timestamp"));
    out.properties["frameId"] = frame.id();
    if (!scene.empty()) out.properties["sceneId"] = scene;
    client.send_output("predictions", out);
    ++classified;
    if (!scene.empty()) {
      // A few frames a scene: cheap enough to show in the twin what was seen.
      client.report(
          {{"lastScene",
            {{"sceneId", scene}, {"frames", votes.frames()}, {"candidates", body["candidates"]}}}});
    }
    if (long long dropped = frames.dropped();
        dropped - last_dropped >= 100 || (dropped != last_dropped && classified % 100 == 0)) {
      last_dropped = dropped;
      client.report({{"framesClassified", classified}, {"framesDropped", dropped}});
    }
  };
  std::thread worker([&] {
    while (!stop_requested()) {
      auto frame = frames.next(std::chrono::milliseconds(200));
      if (!frame) continue;
      try {
        classify(*frame);
      } catch (const std::exception& e) {
        std::cerr << "classifier: cannot classify frame " << frame->id() << ": " << e.what()
                  << "\n";
      }
    }
  });

  int port = settings.rest_port;
  const std::string& host = settings.rest_host;
  httplib::Server server;
  std::thread rest;
  if (port > 0) {
    RestLimits limits;
    std::string key_note;
    if (!is_loopback(host)) {
      // Beyond this machine, only who was given the key may classify.
      auto file =
          std::filesystem::path(std::getenv("CE_DATA_DIR") ? std::getenv("CE_DATA_DIR") : ".") /
          "rest.key";
      limits.key = read_or_make_key(file);
      key_note = "; requests need the Prediction-Key header, the key is in " + file.string();
    }
    add_prediction_routes(server, served, max_predictions, limits);
    if (!server.bind_to_port(host.c_str(), port))
      throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) +
                               " for the REST API; is another program using it?");
    rest = std::thread([&] { server.listen_after_bind(); });
    std::cerr << "classifier: REST API on http://" << host << ":" << port << "/image" << key_note
              << "\n";
  }
  while (!wait_for_stop(std::chrono::seconds(1))) {
  }
  client.stop_receiving();
  worker.join();
  if (rest.joinable()) {
    server.stop();
    rest.join();
  }
  return 0;
}

}  // namespace ce
