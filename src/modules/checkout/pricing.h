// Money is whole minor units (cents); weight is whole grams.
#pragma once

#include <string>

namespace ce {

enum class Rounding { HalfUp, HalfEven, Down, Up };
Rounding parse_rounding(const std::string& name);  // "half-up", "half-even", "down", "up"

// price per kg x grams / 1000, rounded to a whole minor unit.
long long price_by_weight(long long price_per_kg_minor, long long grams,
                          Rounding rounding = Rounding::HalfUp);

}  // namespace ce
