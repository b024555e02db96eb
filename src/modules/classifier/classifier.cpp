// classifier: classifies the frames on input "frames" and publishes the
// predictions on output "predictions", averaged over the frames of one still
// scene; also serves the Custom Vision container's REST API when "restPort"
// is set.
#include <httplib.h>
#include <sodium.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <opencv2/core/utility.hpp>
#include <thread>

#include "common/files.h"
#include "common/settings.h"
#include "common/stop_signal.h"
#include "hub/admin_auth.h"
#include "hub/latest_frames.h"
#include "modules/classifier/lane_learning.h"
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
  std::vector<std::string> url_folders;  // what /url's file:// may read
  bool url_loopback = false;             // /url to this machine's own services
  // Learning from the lane's answers: on by default for a model with an
  // embedding; `"learning": false` turns it off.
  bool learning = true;
  LearningSettings learning_settings;
  std::string learning_dir;

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
    s.url_folders = setting_strings(
        d, "urlFolders",
        "the absolute folders /url's file:// URLs may read, such as [\"/srv/photos\"]",
        [](const std::string& f) { return std::filesystem::path(f).is_absolute(); });
    s.url_loopback = setting<bool>(d, "urlLoopback", s.url_loopback);
    s.frames_kept = setting_in<size_t>(d, "framesKept", s.frames_kept, 1, 100);
    s.max_frame_age_ms =
        setting_in<long long>(d, "maxFrameAgeMs", s.max_frame_age_ms, 100, 600000, "ms");
    const char* data = std::getenv("CE_DATA_DIR");
    s.learning_dir = (std::filesystem::path(data ? data : ".") / "learning").string();
    if (d.contains("learning")) {
      const auto& l = d["learning"];
      if (l.is_boolean()) {
        s.learning = l.get<bool>();
      } else if (l.is_object()) {
        auto& m = s.learning_settings.limits;
        auto& r = s.learning_settings.rule;
        s.learning = setting<bool>(l, "enabled", true);
        m.max_examples = setting_in<size_t>(l, "maxExamples", m.max_examples, 10, 1000000);
        m.max_per_tag = setting_in<size_t>(l, "maxPerTag", m.max_per_tag, 1, 1000000);
        m.max_photos = setting_in<size_t>(l, "maxPhotos", m.max_photos, 0, 1000000);
        r.neighbours = setting_in<size_t>(l, "neighbours", r.neighbours, 1, 100);
        r.memory_weight = setting_in<double>(l, "memoryWeight", r.memory_weight, 0, 1);
        r.closest_at_least = setting_in<float>(l, "closestAtLeast", r.closest_at_least, -1, 1);
        r.trusted_from = setting_in<float>(l, "trustedFrom", r.trusted_from, -1, 1);
        s.learning_dir = setting<std::string>(l, "folder", s.learning_dir);
      } else {
        throw SettingError(
            "desired property 'learning' is true, false or {\"maxExamples\", \"maxPerTag\", "
            "\"maxPhotos\", \"neighbours\", \"memoryWeight\", \"closestAtLeast\", \"folder\"}");
      }
    }
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

  // The lane's memory of the model in service; a new model, a memory of its own.
  std::mutex learning_mutex;
  std::shared_ptr<LaneLearning> learning;
  auto start_learning = [&](const std::shared_ptr<const Model>& model) {
    std::shared_ptr<LaneLearning> next;
    nlohmann::json report = nullptr;
    if (settings.learning && model->embedding_size() > 0) {
      try {
        next = std::make_shared<LaneLearning>(model, settings.learning_dir,
                                              settings.learning_settings);
        report = {{"examples", next->size()}, {"folder", next->folder().string()}};
        std::cerr << "classifier: learning from the lane's answers; " << next->size()
                  << " examples in " << next->folder().string() << "\n";
      } catch (const std::exception& e) {
        report = {{"error", e.what()}};
        std::cerr << "classifier: cannot learn from the lane's answers: " << e.what() << "\n";
      }
    } else if (settings.learning) {
      report = {{"off", "the model gives no embedding"}};
    }
    {
      std::lock_guard lock(learning_mutex);
      learning = next;
    }
    client.report({{"learning", report}});
  };
  auto current_learning = [&] {
    std::lock_guard lock(learning_mutex);
    return learning;
  };
  // A new package's memory starts from the photos the last one kept: in the
  // background (a photo's embedding each), while the lane goes on.
  std::thread rebuilding;
  auto rebuild = [&] {
    if (rebuilding.joinable()) rebuilding.join();
    auto memory = current_learning();
    if (!memory || memory->size() > 0) return;
    rebuilding = std::thread([&client, memory] {
      try {
        auto from = memory->rebuild_from_kept_photos();
        if (from.empty()) return;
        std::cerr << "classifier: rebuilt the new model's memory from the photos kept in "
                  << from.string() << ": " << memory->size() << " examples\n";
        client.report(
            {{"learning", {{"examples", memory->size()}, {"rebuiltFrom", from.string()}}}});
      } catch (const std::exception& e) {
        std::cerr << "classifier: cannot rebuild the memory from the kept photos: " << e.what()
                  << "\n";
      }
    });
  };
  start_learning(loaded);
  rebuild();

  // Loads first, swaps after: a model that fails to load changes nothing,
  // and requests in flight finish on the model they started with.
  std::mutex reload_mutex;
  nlohmann::json current = desired["model"];
  auto reload = [&](const nlohmann::json& description) {
    std::lock_guard lock(reload_mutex);
    auto next = std::make_shared<Model>(Model::load(description, settings.instances));
    served.set(next);
    start_learning(next);
    rebuild();
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
      // What is read only at start (the REST listener, the network's copies
      // and threads, the frame queue, the memory's folder and rule): the
      // runtime restarts the module to apply it, rather than report a
      // setting that does nothing.
      auto at_start = [](const ClassifierSettings& c) {
        return nlohmann::json{c.rest_port,
                              c.rest_host,
                              c.url_folders,
                              c.url_loopback,
                              c.instances,
                              c.threads,
                              c.frames_kept,
                              c.max_frame_age_ms,
                              c.learning,
                              c.learning_dir,
                              c.learning_settings.limits.max_examples,
                              c.learning_settings.limits.max_per_tag,
                              c.learning_settings.limits.max_photos,
                              c.learning_settings.rule.neighbours,
                              c.learning_settings.rule.memory_weight,
                              c.learning_settings.rule.closest_at_least,
                              c.learning_settings.rule.trusted_from};
      };
      if (at_start(s) != at_start(settings)) {
        client.restart_to_apply(
            "settings read at start changed (restPort, restHost, urlFolders, urlLoopback, "
            "instances, "
            "threads, framesKept, maxFrameAgeMs or learning)");
        return;
      }
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

  // The checkout's word on what a scene was: learnt, held against a tag,
  // or taken back (a cancelled basket).
  client.on_input("examples", [&](const Message& m) {
    auto memory = current_learning();
    if (!memory) return;
    try {
      std::cerr << "classifier: " << memory->teach(m.json()) << "\n";
    } catch (const std::exception& e) {
      std::cerr << "classifier: ignored a teaching: " << e.what() << "\n";
    }
  });
  auto with_memory = [&](const std::function<MethodResult(LaneLearning&)>& f) {
    auto memory = current_learning();
    if (!memory)
      return MethodResult{409,
                          {{"error",
                            "the lane is not learning: the model gives no embedding, or "
                            "\"learning\" is false in the classifier's settings"}}};
    try {
      return f(*memory);
    } catch (const std::exception& e) {
      return MethodResult{400, {{"error", e.what()}}};
    }
  };
  client.on_method("memory", [&](const nlohmann::json&) {
    return with_memory([](LaneLearning& l) { return MethodResult{200, l.summary()}; });
  });
  client.on_method("forgetExample", [&](const nlohmann::json& request) {
    return with_memory([&](LaneLearning& l) {
      if (!request.contains("id") || !request["id"].is_number_unsigned())
        return MethodResult{400, {{"error", "send {\"id\": N}, an example's id from `memory`"}}};
      if (!l.forget(request["id"].get<uint64_t>()))
        return MethodResult{404, {{"error", "no example " + request["id"].dump() + " in memory"}}};
      client.report({{"learning", {{"examples", l.size()}}}});
      return MethodResult{200, {{"examples", l.size()}}};
    });
  });
  client.on_method("forgetTag", [&](const nlohmann::json& request) {
    return with_memory([&](LaneLearning& l) {
      if (!request.contains("tag") || !request["tag"].is_string())
        return MethodResult{400, {{"error", "send {\"tag\": \"...\"}"}}};
      size_t n = l.forget_tag(request["tag"].get<std::string>());
      client.report({{"learning", {{"examples", l.size()}}}});
      return MethodResult{200, {{"forgotten", n}, {"examples", l.size()}}};
    });
  });
  // One kept photo, for staff to see what was learnt (base64: methods carry JSON).
  client.on_method("memoryPhoto", [&](const nlohmann::json& request) {
    return with_memory([&](LaneLearning& l) {
      if (!request.contains("id") || !request["id"].is_number_unsigned())
        return MethodResult{400, {{"error", "send {\"id\": N}, an example's id from `memory`"}}};
      auto file = l.photo_of(request["id"].get<uint64_t>());
      if (!std::filesystem::exists(file))
        return MethodResult{404,
                            {{"error", "example " + request["id"].dump() +
                                           " has no photo kept (only the newest maxPhotos are)"}}};
      std::string jpeg = read_file(file);
      std::string b64(sodium_base64_encoded_len(jpeg.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
      sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(jpeg.data()),
                        jpeg.size(), sodium_base64_VARIANT_ORIGINAL);
      b64.resize(std::strlen(b64.c_str()));
      return MethodResult{200, {{"id", request["id"]}, {"jpeg", b64}}};
    });
  });
  client.on_method("exportMemory", [&](const nlohmann::json& request) {
    return with_memory([&](LaneLearning& l) {
      if (!request.contains("dir") || !request["dir"].is_string())
        return MethodResult{400, {{"error", "send {\"dir\": FOLDER} to export into"}}};
      size_t n = l.export_to(request["dir"].get<std::string>());
      return MethodResult{
          200,
          {{"exported", n}, {"dir", request["dir"]}, {"package", served.get()->package().dir}}};
    });
  });
  client.on_method("importMemory", [&](const nlohmann::json& request) {
    return with_memory([&](LaneLearning& l) {
      if (!request.contains("dir") || !request["dir"].is_string())
        return MethodResult{400, {{"error", "send {\"dir\": FOLDER} of an exported memory"}}};
      size_t n = l.import_from(request["dir"].get<std::string>());
      client.report({{"learning", {{"examples", l.size()}}}});
      return MethodResult{200, {{"imported", n}, {"examples", l.size()}}};
    });
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
    auto memory = current_learning();
    std::vector<float> embedding;
    auto predictions = votes.add(scene, model->classify(img, memory ? &embedding : nullptr));
    nlohmann::json thresholds = model->thresholds_at_risk();
    if (memory && !embedding.empty()) {
      // What the lane learnt from its own answers, blended in; the scene's
      // evidence is kept until the checkout says what the item was.
      predictions =
          memory->see(scene.empty() ? frame.id() : scene, predictions, embedding, frame.body);
      thresholds = memory->thresholds_at_risk(thresholds);
    }
    nlohmann::json body = custom_vision_response(predictions, max_predictions, model->version());
    body["candidates"] = candidates_json(predictions, candidates);
    // The checkout decides at the risk it is set to accept.
    if (!thresholds.empty()) body["thresholdAtRisk"] = thresholds;
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
  GuardedServer server(kRestConnections);
  std::thread rest;
  if (port > 0) {
    RestLimits limits;
    limits.url_folders = settings.url_folders;
    limits.url_loopback = settings.url_loopback;
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
    deepen_backlog(server);
    rest = std::thread([&] { server.listen_after_bind(); });
    std::cerr << "classifier: REST API on http://" << host << ":" << port << "/image" << key_note
              << "\n";
  }
  while (!wait_for_stop(std::chrono::seconds(1))) {
  }
  client.stop_receiving();
  worker.join();
  if (rebuilding.joinable()) rebuilding.join();
  if (rest.joinable()) {
    server.stop();
    rest.join();
  }
  return 0;
}

}  // namespace ce
