// classifier: classifies each frame on input "frames" and publishes the
// predictions on output "predictions"; also serves the Custom Vision
// container's REST API (POST /image) when "restPort" is set.
#include <httplib.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <thread>

#include "common/settings.h"
#include "common/stop_signal.h"
#include "modules/classifier/model.h"
#include "modules/classifier/prediction_json.h"
#include "modules/modules.h"

namespace ce {

namespace {

// The model in service. A reload swaps the pointer; a request in flight
// keeps the model it started with until it finishes.
class ServedModel {
 public:
  explicit ServedModel(std::shared_ptr<Model> model) : model_(std::move(model)) {}
  std::shared_ptr<Model> get() const {
    std::lock_guard lock(mutex_);
    return model_;
  }
  void set(std::shared_ptr<Model> model) {
    std::lock_guard lock(mutex_);
    model_ = std::move(model);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<Model> model_;
};

nlohmann::json model_report(const Model& model, const nlohmann::json& description) {
  return {{"model", model.file()},
          {"modelVersion", model.version()},
          {"tags", model.labels().size()},
          {"modelDescription", description},
          {"loadedMs", now_ms()}};
}

void serve_rest(httplib::Server& server, const ServedModel& served,
                const std::atomic<size_t>& max_predictions) {
  auto json_reply = [](httplib::Response& res, int status, const nlohmann::json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
  };
  server.Post("/image", [&, json_reply](const httplib::Request& req, httplib::Response& res) {
    std::string bytes = req.body;
    if (req.is_multipart_form_data()) bytes = req.get_file_value("imageData").content;
    if (bytes.empty())
      return json_reply(res, 400,
                        {{"error",
                          "the request has no image: send the image bytes as "
                          "the body, or as multipart field imageData"}});
    cv::Mat img =
        cv::imdecode(std::vector<unsigned char>(bytes.begin(), bytes.end()), cv::IMREAD_COLOR);
    if (img.empty())
      return json_reply(res, 400,
                        {{"error", "the body is not a readable image (JPEG, PNG or BMP)"}});
    auto model = served.get();
    json_reply(res, 200,
               custom_vision_response(model->classify(img), max_predictions, model->version()));
  });
  server.Get("/health", [&, json_reply](const httplib::Request&, httplib::Response& res) {
    json_reply(res, 200, {{"status", "ok"}, {"model", served.get()->version()}});
  });
}

}  // namespace

int run_classifier(ModuleClient& client, const nlohmann::json& desired) {
  if (!desired.contains("model") || !desired["model"].is_object())
    throw SettingError(
        "desired property 'model' is missing: describe the model as "
        "{\"file\": ..., \"labels\": ..., \"inputWidth\": ...}");
  ServedModel served(std::make_shared<Model>(Model::load(desired["model"])));
  std::atomic<size_t> max_predictions = setting<size_t>(desired, "maxPredictions", 10);
  std::cerr << "classifier: loaded " << served.get()->file() << " ("
            << served.get()->labels().size() << " tags)\n";
  client.report(model_report(*served.get(), desired["model"]));

  // Loads first, swaps after: a model that fails to load changes nothing.
  std::mutex reload_mutex;
  nlohmann::json current = desired["model"];
  auto reload = [&](const nlohmann::json& description) {
    std::lock_guard lock(reload_mutex);
    auto next = std::make_shared<Model>(Model::load(description));
    served.set(next);
    current = description;
    client.report(model_report(*next, description));
    client.report({{"lastReloadError", nullptr}});
    std::cerr << "classifier: now serving " << next->file() << " (version " << next->version()
              << ")\n";
    return next;
  };
  client.on_desired_change([&](const nlohmann::json& d) {
    max_predictions = setting<size_t>(d, "maxPredictions", 10);
    if (!d.contains("model")) return;
    {
      std::lock_guard lock(reload_mutex);
      if (d["model"] == current) return;
    }
    try {
      reload(d["model"]);
    } catch (const std::exception& e) {
      std::cerr << "classifier: kept the running model; the new one does not load: " << e.what()
                << "\n";
      client.report({{"lastReloadError", e.what()}});
    }
  });
  client.on_method("reloadModel", [&](const nlohmann::json& request) {
    nlohmann::json description;
    {
      std::lock_guard lock(reload_mutex);
      description = request.contains("model") ? request["model"] : current;
    }
    auto model = reload(description);
    return MethodResult{200, {{"model", model->file()}, {"modelVersion", model->version()}}};
  });

  client.on_input("frames", [&](const Message& frame) {
    cv::Mat img = cv::imdecode(std::vector<unsigned char>(frame.body.begin(), frame.body.end()),
                               cv::IMREAD_COLOR);
    if (img.empty()) {
      std::cerr << "classifier: frame " << frame.id() << " is not a readable image; skipped\n";
      return;
    }
    auto model = served.get();
    nlohmann::json body =
        custom_vision_response(model->classify(img), max_predictions, model->version());
    Message out = Message::with_json(body);
    out.properties["captureTime"] = frame.property("captureTime", frame.property("timestamp"));
    out.properties["frameId"] = frame.id();
    client.send_output("predictions", out);
  });

  int port = setting<int>(desired, "restPort", 0);
  httplib::Server server;
  std::thread rest;
  if (port > 0) {
    serve_rest(server, served, max_predictions);
    if (!server.bind_to_port("127.0.0.1", port))
      throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port) +
                               " for the REST API; is another program using it?");
    rest = std::thread([&] { server.listen_after_bind(); });
    std::cerr << "classifier: REST API on http://127.0.0.1:" << port << "/image\n";
  }
  while (!wait_for_stop(std::chrono::seconds(1))) {
  }
  client.stop_receiving();
  if (rest.joinable()) {
    server.stop();
    rest.join();
  }
  return 0;
}

}  // namespace ce
