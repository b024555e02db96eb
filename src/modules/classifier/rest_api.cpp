#include "modules/classifier/rest_api.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>

#include "common/image_header.h"
#include "modules/classifier/prediction_json.h"
#include "modules/classifier/url_fetch.h"

namespace ce {
namespace {

struct ApiError : std::runtime_error {
  ApiError(int status, const std::string& message) : std::runtime_error(message), status(status) {}
  int status;
};

const char* code_of(int status) {
  switch (status) {
    case 401:
      return "Unauthorized";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 413:
      return "PayloadTooLarge";
    case 503:
      return "ServiceUnavailable";
    default:
      return status >= 500 ? "InternalError" : "BadRequest";
  }
}

void reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
  reply(res, status, {{"code", code_of(status)}, {"message", message}});
}

std::string megabytes(size_t bytes) {
  return bytes >= 1024 * 1024 ? std::to_string(bytes / (1024 * 1024)) + " MB"
                              : std::to_string(bytes / 1024) + " kB";
}

// The body as it arrives, whatever its Content-Type: httplib would parse
// curl's default (a form) itself and refuse one over 8 kB.
std::string read_body(const httplib::Request& req, const httplib::Response& res,
                      const httplib::ContentReader& reader, size_t limit, bool image) {
  std::string body;
  bool ok;
  int fields = 0;
  bool in_image = false;
  if (image && req.is_multipart_form_data()) {
    ok = reader(
        [&](const httplib::MultipartFormData& part) {
          in_image = part.name == "imageData" && ++fields == 1;
          return true;
        },
        [&](const char* data, size_t n) {
          if (in_image) body.append(data, n);
          return body.size() <= limit;
        });
    if (ok && fields == 0)
      throw ApiError(400, "the multipart form has no field 'imageData'; put the image there");
  } else {
    ok = reader([&](const char* data, size_t n) {
      body.append(data, n);
      return body.size() <= limit;
    });
  }
  // httplib says 413 itself when Content-Length is over the payload limit.
  if (body.size() > limit || res.status == 413)
    throw ApiError(413, "the image is larger than the " + megabytes(limit) + " limit");
  if (!ok)
    throw ApiError(400, req.is_multipart_form_data()
                            ? "the multipart form could not be read: check its boundary and parts"
                            : "the request body could not be read whole");
  return body;
}

std::string url_of_body(const std::string& text) {
  nlohmann::json body = nlohmann::json::parse(text, nullptr, false);
  if (!body.is_object() || !body.contains("url") || !body["url"].is_string())
    throw ApiError(400, "the body must be JSON {\"url\": \"http://...\"}");
  return body["url"];
}

void check_image(const std::string& bytes, const RestLimits& limits) {
  if (bytes.empty())
    throw ApiError(400,
                   "the request has no image: send the image bytes as the body, or as "
                   "multipart field imageData");
  auto header = read_image_header(bytes);
  if (!header)
    throw ApiError(400, "the body is not a readable image: send JPEG, PNG, BMP or GIF bytes");
  if (std::string why = too_many_pixels(*header, limits.max_pixels); !why.empty())
    throw ApiError(413, why);
  if (!header->complete)
    throw ApiError(400, "the " + header->format +
                            " image is cut short (its end is missing); send the whole file");
}

bool same_key(const std::string& given, const std::string& key) {
  // Takes as long for a near miss as for a far one.
  unsigned diff = given.size() != key.size();
  for (size_t i = 0; i < key.size(); ++i) diff |= key[i] ^ (i < given.size() ? given[i] : 0);
  return diff == 0;
}

// Counts the /url fetches in progress; one more than allowed is refused.
class FetchSlot {
 public:
  FetchSlot(std::atomic<int>& in_flight, int allowed) : in_flight_(in_flight) {
    if (++in_flight_ > allowed) {
      --in_flight_;
      throw ApiError(503, std::to_string(allowed) +
                              " URLs are being fetched already; try again in a moment, or send "
                              "the image bytes to /image");
    }
  }
  ~FetchSlot() { --in_flight_; }

 private:
  std::atomic<int>& in_flight_;
};

}  // namespace

void add_prediction_routes(httplib::Server& server, const ServedModel& served,
                           const std::atomic<size_t>& max_predictions, RestLimits limits) {
  // A multipart form wraps the image in a little more than the image.
  server.set_payload_max_length(limits.max_image_bytes + 64 * 1024);
  server.set_tcp_nodelay(true);  // small replies go out now, not after a delayed ACK
  auto fetching = std::make_shared<std::atomic<int>>(0);
  server.set_pre_routing_handler([limits](const httplib::Request& req, httplib::Response& res) {
    if (limits.key.empty() || same_key(req.get_header_value("Prediction-Key"), limits.key))
      return httplib::Server::HandlerResponse::Unhandled;
    reply_error(res, 401,
                "this API needs its key in the Prediction-Key header (the lane's staff find it "
                "in the classifier's rest.key)");
    return httplib::Server::HandlerResponse::Handled;
  });
  auto classify = [&served, &max_predictions, limits, fetching](
                      const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader& reader, bool by_url) {
    try {
      std::string bytes;
      if (by_url) {
        std::string url = url_of_body(read_body(req, res, reader, 64 * 1024, false));
        FetchSlot slot(*fetching, limits.url_fetches);
        bytes = fetch_image_url(url, {limits.max_image_bytes, limits.url_timeout_s,
                                      limits.url_folders, limits.url_loopback});
      } else {
        bytes = read_body(req, res, reader, limits.max_image_bytes, true);
      }
      check_image(bytes, limits);
      auto model = served.get();
      cv::Mat img = model->decode(bytes);
      if (img.empty())
        throw ApiError(400, "the body is not a readable image: send JPEG, PNG, BMP or GIF bytes");
      // The route's project and iteration name come back as the container does.
      std::string project = req.matches.size() > 1 ? req.matches[1].str() : "";
      std::string iteration = req.matches.size() > 2 ? req.matches[2].str() : model->version();
      auto body = custom_vision_response(model->classify(img), max_predictions, iteration);
      body["project"] = project;
      reply(res, 200, body);
    } catch (const ApiError& e) {
      if (e.status == 503) res.set_header("Retry-After", "1");
      reply_error(res, e.status, e.what());
    } catch (const FetchError& e) {
      reply_error(res, e.status, e.what());
    } catch (const std::exception& e) {
      reply_error(res, 500, e.what());
    }
  };
  const std::string project = R"(/([^/]+)/(?:classify|detect)/iterations/([^/]+))";
  std::vector<std::regex> post_routes;
  for (const std::string& prefix : {std::string(), std::string(R"(/([^/]+))"), project}) {
    for (const char* kind : {"image", "url"}) {
      std::string pattern = prefix + "/" + kind + "(?:/nostore)?";
      bool by_url = std::string(kind) == "url";
      server.Post(pattern, [classify, by_url](const httplib::Request& req, httplib::Response& res,
                                              const httplib::ContentReader& reader) {
        classify(req, res, reader, by_url);
      });
      post_routes.emplace_back(pattern);
    }
  }
  server.Get("/health", [&served](const httplib::Request&, httplib::Response& res) {
    reply(res, 200, {{"status", "ok"}, {"model", served.get()->describe()}});
  });
  // httplib's own errors come with no body; say what happened, as JSON.
  server.set_error_handler([limits, post_routes](const httplib::Request& req,
                                                 httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) {
      bool post_route = false;
      for (auto& r : post_routes) post_route |= std::regex_match(req.path, r);
      if (post_route || req.path == "/health") {
        std::string allowed = post_route ? "POST" : "GET";
        res.set_header("Allow", allowed);
        reply_error(res, 405, req.method + " is not allowed on " + req.path + "; use " + allowed);
      } else {
        reply_error(
            res, 404,
            req.method + " " + req.path + " is not an API route; use POST /image or POST /url");
      }
    } else if (res.status == 413) {
      reply_error(res, 413,
                  "the request is larger than the " + megabytes(limits.max_image_bytes) +
                      " limit; send a smaller image");
    } else if (res.status == 400) {
      reply_error(res, 400,
                  "the request could not be read: check its headers, Content-Length and multipart "
                  "form");
    } else {
      reply_error(res, res.status, "the request failed with HTTP " + std::to_string(res.status));
    }
  });
}

}  // namespace ce
