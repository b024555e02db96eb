// The Custom Vision container's prediction API, on the model in service:
//   POST /image, /url and /{project}/classify/iterations/{name}/image|url
//   (with /nostore too), GET /health.
// Differs from the container where it was unhelpful: a 400 that says what
// is wrong with the image instead of a bare 500, 413 over the size limit,
// and requests served concurrently.
#pragma once

#include <httplib.h>

#include <atomic>

#include "modules/classifier/served_model.h"

namespace ce {

struct RestLimits {
  size_t max_image_bytes = 4 * 1024 * 1024;  // the container's own limit
  int url_timeout_s = 10;
};

void add_prediction_routes(httplib::Server& server, const ServedModel& served,
                           const std::atomic<size_t>& max_predictions, RestLimits limits = {});

}  // namespace ce
