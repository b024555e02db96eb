#include "modules/checkout/pricing.h"

#include <stdexcept>

namespace ce {

Rounding parse_rounding(const std::string& name) {
  if (name == "half-up") return Rounding::HalfUp;
  if (name == "half-even") return Rounding::HalfEven;
  if (name == "down") return Rounding::Down;
  if (name == "up") return Rounding::Up;
  throw std::invalid_argument("rounding '" + name + "' is not one of half-up, half-even, down, up");
}

long long price_by_weight(long long price_per_kg_minor, long long grams, Rounding rounding) {
  if (price_per_kg_minor < 0 || grams < 0)
    throw std::invalid_argument("price and weight must not be negative");
  long long milli;  // in thousandths of a minor unit
  if (__builtin_mul_overflow(price_per_kg_minor, grams, &milli))
    throw std::overflow_error("a price of " + std::to_string(price_per_kg_minor) + " per kg for " +
                              std::to_string(grams) + " g does not fit in 64 bits");
  long long whole = milli / 1000, rest = milli % 1000;
  switch (rounding) {
    case Rounding::Down:
      return whole;
    case Rounding::Up:
      return whole + (rest > 0);
    case Rounding::HalfUp:
      return whole + (rest >= 500);
    case Rounding::HalfEven:
      return whole + (rest > 500 || (rest == 500 && whole % 2 == 1));
  }
  return whole;
}

}  // namespace ce
