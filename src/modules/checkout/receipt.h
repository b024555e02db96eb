// The receipt of a paid basket: JSON for the store's systems, and the same
// as text for a printer or the screen (the text is made from the JSON, so
// the two cannot disagree).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "modules/checkout/journal.h"

namespace ce {

// 126, 2 -> "1.26"; 1260, 0 -> "1260"; -5, 2 -> "-0.05".
std::string format_amount(long long minor, int minor_units);

nlohmann::json make_receipt(long long basket_id, const std::vector<BasketLine>& lines,
                            long long tendered_minor, const std::string& currency, int minor_units,
                            long long paid_ms);
std::string receipt_text(const nlohmann::json& receipt);

}  // namespace ce
