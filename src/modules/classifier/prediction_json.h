// Predictions in the Custom Vision response shape.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "modules/classifier/model.h"

namespace ce {

nlohmann::json custom_vision_response(const std::vector<Prediction>& predictions, size_t max_count,
                                      const std::string& iteration);

}  // namespace ce
