// classifier: classifies each frame on input "frames" and publishes the
// predictions on output "predictions"; also serves the Custom Vision
// container's REST API (POST /image) when "restPort" is set.
#include <httplib.h>

#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <thread>

#include "common/settings.h"
#include "common/stop_signal.h"
#include "modules/classifier/model.h"
#include "modules/classifier/prediction_json.h"
#include "modules/modules.h"

namespace ce {

namespace {

void serve_rest(httplib::Server& server, Model& model, size_t max_predictions) {
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
    json_reply(res, 200,
               custom_vision_response(model.classify(img), max_predictions, model.version()));
  });
  server.Get("/health", [&, json_reply](const httplib::Request&, httplib::Response& res) {
    json_reply(res, 200, {{"status", "ok"}, {"model", model.version()}});
  });
}

}  // namespace

int run_classifier(ModuleClient& client, const nlohmann::json& desired) {
  if (!desired.contains("model") || !desired["model"].is_object())
    throw SettingError(
        "desired property 'model' is missing: describe the model as "
        "{\"file\": ..., \"labels\": ..., \"inputWidth\": ...}");
  Model model = Model::load(desired["model"]);
  size_t max_predictions = setting<size_t>(desired, "maxPredictions", 10);
  std::cerr << "classifier: loaded " << model.file() << " (" << model.labels().size() << " tags)\n";
  client.report({{"model", model.file()},
                 {"modelVersion", model.version()},
                 {"tags", model.labels().size()}});

  client.on_input("frames", [&](const Message& frame) {
    cv::Mat img = cv::imdecode(std::vector<unsigned char>(frame.body.begin(), frame.body.end()),
                               cv::IMREAD_COLOR);
    if (img.empty()) {
      std::cerr << "classifier: frame " << frame.id() << " is not a readable image; skipped\n";
      return;
    }
    nlohmann::json body =
        custom_vision_response(model.classify(img), max_predictions, model.version());
    Message out = Message::with_json(body);
    out.properties["captureTime"] = frame.property("captureTime", frame.property("timestamp"));
    out.properties["frameId"] = frame.id();
    client.send_output("predictions", out);
  });

  int port = setting<int>(desired, "restPort", 0);
  httplib::Server server;
  std::thread rest;
  if (port > 0) {
    serve_rest(server, model, max_predictions);
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
