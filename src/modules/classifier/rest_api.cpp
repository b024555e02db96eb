#include "modules/classifier/rest_api.h"

#include <filesystem>
#include <fstream>
#include <regex>

#include "modules/classifier/prediction_json.h"

namespace ce {
namespace {

struct ApiError : std::runtime_error {
  ApiError(int status, const std::string& message) : std::runtime_error(message), status(status) {}
  int status;
};

void reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

std::string image_of_request(const httplib::Request& req) {
  if (req.is_multipart_form_data()) {
    if (!req.has_file("imageData"))
      throw ApiError(400, "the multipart form has no field 'imageData'; put the image there");
    return req.get_file_value("imageData").content;
  }
  return req.body;
}

std::string fetch_url(const std::string& url, const RestLimits& limits) {
  static const std::regex http(R"(^(http://[^/]+)(/.*)?$)", std::regex::icase);
  std::smatch m;
  if (url.rfind("file://", 0) == 0) {
    std::string path = url.substr(7);
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (ec) throw ApiError(400, "cannot read " + url + ": " + ec.message());
    if (size > limits.max_image_bytes)
      throw ApiError(413, url + " is larger than the " +
                              std::to_string(limits.max_image_bytes / (1024 * 1024)) + " MB limit");
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  if (!std::regex_match(url, m, http))
    throw ApiError(400, "only http:// and file:// URLs are fetched, not '" + url + "'");
  httplib::Client client(m[1].str());
  client.set_connection_timeout(limits.url_timeout_s);
  client.set_read_timeout(limits.url_timeout_s);
  std::string body;
  auto res = client.Get(m[2].matched ? m[2].str() : "/", [&](const char* data, size_t len) {
    body.append(data, len);
    return body.size() <= limits.max_image_bytes;
  });
  if (body.size() > limits.max_image_bytes)
    throw ApiError(413, url + " is larger than the " +
                            std::to_string(limits.max_image_bytes / (1024 * 1024)) + " MB limit");
  if (!res) throw ApiError(400, "cannot fetch " + url + ": " + httplib::to_string(res.error()));
  if (res->status != 200)
    throw ApiError(400, "fetching " + url + " answered HTTP " + std::to_string(res->status));
  return body;
}

std::string url_of_request(const httplib::Request& req) {
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("url") || !body["url"].is_string())
    throw ApiError(400, "the body must be JSON {\"url\": \"http://...\"}");
  return body["url"];
}

}  // namespace

void add_prediction_routes(httplib::Server& server, const ServedModel& served,
                           const std::atomic<size_t>& max_predictions, RestLimits limits) {
  server.set_payload_max_length(limits.max_image_bytes);
  server.set_tcp_nodelay(true);  // small replies go out now, not after a delayed ACK
  auto classify = [&served, &max_predictions, limits](const httplib::Request& req,
                                                      httplib::Response& res, bool by_url) {
    try {
      std::string bytes = by_url ? fetch_url(url_of_request(req), limits) : image_of_request(req);
      if (bytes.empty())
        throw ApiError(400,
                       "the request has no image: send the image bytes as the body, or as "
                       "multipart field imageData");
      if (bytes.size() > limits.max_image_bytes)
        throw ApiError(413, "the image is larger than the 4 MB limit");
      auto model = served.get();
      cv::Mat img = model->decode(bytes);
      if (img.empty())
        throw ApiError(400, "the body is not a readable image: send JPEG, PNG or BMP bytes");
      // The route's project and iteration name come back as the container does.
      std::string project = req.matches.size() > 1 ? req.matches[1].str() : "";
      std::string iteration = req.matches.size() > 2 ? req.matches[2].str() : model->version();
      auto body = custom_vision_response(model->classify(img), max_predictions, iteration);
      body["project"] = project;
      reply(res, 200, body);
    } catch (const ApiError& e) {
      reply(res, e.status,
            {{"code", e.status == 413 ? "PayloadTooLarge" : "BadRequest"}, {"message", e.what()}});
    } catch (const std::exception& e) {
      reply(res, 500, {{"code", "InternalError"}, {"message", e.what()}});
    }
  };
  const std::string project = R"(/([^/]+)/(?:classify|detect)/iterations/([^/]+))";
  for (const std::string& prefix : {std::string(), std::string(R"(/([^/]+))"), project}) {
    server.Post(prefix + R"(/image(?:/nostore)?)",
                [classify](const auto& req, auto& res) { classify(req, res, false); });
    server.Post(prefix + R"(/url(?:/nostore)?)",
                [classify](const auto& req, auto& res) { classify(req, res, true); });
  }
  server.Get("/health", [&served](const httplib::Request&, httplib::Response& res) {
    reply(res, 200, {{"status", "ok"}, {"model", served.get()->describe()}});
  });
  // httplib's own errors (413, 404) come with no body; say what happened.
  server.set_error_handler([limits](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413)
      reply(res, 413,
            {{"code", "PayloadTooLarge"},
             {"message", "the request is larger than the " +
                             std::to_string(limits.max_image_bytes / (1024 * 1024)) +
                             " MB limit; send a smaller image"}});
    else if (res.status == 404)
      reply(res, 404,
            {{"code", "NotFound"},
             {"message",
              req.method + " " + req.path + " is not an API route; use POST /image or POST /url"}});
  });
}

}  // namespace ce
