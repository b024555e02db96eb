#include "modules/scale/weight.h"

#include <cctype>
#include <cmath>
#include <map>

namespace ce {

const char* to_string(ScaleStatus s) {
  switch (s) {
    case ScaleStatus::Ok:
      return "ok";
    case ScaleStatus::Motion:
      return "motion";
    case ScaleStatus::UnderZero:
      return "under-zero";
    case ScaleStatus::Overload:
      return "overload";
    case ScaleStatus::Disconnected:
      return "disconnected";
    case ScaleStatus::Fault:
      return "fault";
  }
  return "?";
}

std::optional<long long> to_milligrams(const std::string& text, const std::string& unit) {
  // Metric units are exact powers of ten: shift the decimal point, no floats.
  static const std::map<std::string, int> metric{{"mg", 0}, {"g", 3}, {"kg", 6}};
  static const std::map<std::string, long double> imperial{{"oz", 28349.523125L},
                                                           {"lb", 453592.37L}};
  size_t i = 0;
  bool negative = false;
  while (i < text.size() && text[i] == ' ') ++i;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  long long whole = 0, fraction = 0;
  int fraction_digits = 0, digits = 0;
  bool point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !point) {
      point = true;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      if (++digits > 15) return std::nullopt;
      if (point) {
        fraction = fraction * 10 + (c - '0');
        ++fraction_digits;
      } else {
        whole = whole * 10 + (c - '0');
      }
    } else {
      break;
    }
  }
  while (i < text.size() && text[i] == ' ') ++i;
  if (digits == 0 || i != text.size()) return std::nullopt;
  long long sign = negative ? -1 : 1;
  if (auto m = metric.find(unit); m != metric.end()) {
    int shift = m->second;
    long long value = whole;
    // 15 digits in kilograms would not fit: such a frame is garbage, not a weight.
    for (int k = 0; k < shift; ++k)
      if (__builtin_mul_overflow(value, 10LL, &value)) return std::nullopt;
    // Fraction digits beyond a milligram are cut, as the scale's own
    // display resolution is far coarser.
    long long f = fraction;
    int fd = fraction_digits;
    while (fd > shift) {
      f /= 10;
      --fd;
    }
    while (fd < shift) {
      f *= 10;
      ++fd;
    }
    return sign * (value + f);
  }
  if (auto m = imperial.find(unit); m != imperial.end()) {
    long double amount = (whole + fraction / std::pow(10.0L, fraction_digits)) * m->second;
    if (amount > 1e15L) return std::nullopt;
    return sign * std::llround(amount);
  }
  return std::nullopt;
}

}  // namespace ce

namespace ce {

WeightReading within_capacity(WeightReading r, long long capacity_mg) {
  if (r.status != ScaleStatus::Ok && r.status != ScaleStatus::Motion) return r;
  // A frame far past what the scale can weigh is line noise or a broken
  // scale, not an overload; a negative weight is never "ok".
  if (r.milligrams > 2 * capacity_mg || r.milligrams < -2 * capacity_mg)
    return {0, ScaleStatus::Fault, false};
  if (r.milligrams > capacity_mg) return {r.milligrams, ScaleStatus::Overload, false};
  if (r.milligrams < 0) return {r.milligrams, ScaleStatus::UnderZero, false};
  return r;
}

}  // namespace ce
