#include "modules/classifier/prediction_json.h"

#include <ctime>

#include "checkout-edge/module.h"

namespace ce {

static std::string iso8601_now() {
  long long ms = now_ms();
  time_t s = ms / 1000;
  tm utc;
  gmtime_r(&s, &utc);
  char buf[40];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  char out[48];
  snprintf(out, sizeof out, "%s.%03lldZ", buf, ms % 1000);
  return out;
}

nlohmann::json custom_vision_response(const std::vector<Prediction>& predictions, size_t max_count,
                                      const std::string& iteration) {
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < predictions.size() && i < max_count; ++i)
    list.push_back({{"tagName", predictions[i].tag_name},
                    {"tagId", std::to_string(predictions[i].tag_id)},
                    {"probability", predictions[i].probability},
                    {"boundingBox", nullptr}});
  return {{"id", new_message_id()},
          {"project", ""},
          {"iteration", iteration},
          {"created", iso8601_now()},
          {"predictions", list}};
}

}  // namespace ce
