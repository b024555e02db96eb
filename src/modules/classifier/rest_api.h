// The Custom Vision container's prediction API, on the model in service:
//   POST /image, /url and /{project}/classify/iterations/{name}/image|url
//   (with /nostore too), GET /health.
// Differs from the container where it was unhelpful: a 400 that says what
// is wrong with the image instead of a bare 500, 413 over the size or
// pixel limit, a JSON body with every error, and requests served
// concurrently, however slow the URLs being fetched.
#pragma once

#include <httplib.h>

#include <atomic>
#include <string>
#include <vector>

#include "common/image_header.h"
#include "modules/classifier/served_model.h"
#include "modules/http_connections.h"

namespace ce {

struct RestLimits {
  size_t max_image_bytes = 4 * 1024 * 1024;  // the container's own limit
  long long max_pixels = kMaxImagePixels;
  int url_timeout_s = 10;
  // /url: file:// only under these folders (none: no file://), and
  // http(s) to this machine's own addresses only when allowed.
  std::vector<std::string> url_folders;
  bool url_loopback = false;
  int url_fetches = 16;  // at once; more get 503, so /image always has threads
  // When set, every request must carry it in the Prediction-Key header (as
  // Custom Vision's cloud API asks): the API is served beyond loopback.
  std::string key;
};

// Serve the API on a GuardedServer(kRestConnections). A client that sends
// images needs few connections, each of which may carry max_image_bytes.
inline constexpr ConnectionLimits kRestConnections{.connections = 256, .per_address = 32};

void add_prediction_routes(httplib::Server& server, const ServedModel& served,
                           const std::atomic<size_t>& max_predictions, RestLimits limits = {});

}  // namespace ce
