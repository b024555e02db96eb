#include "modules/scale/hid_pos.h"

#include <cmath>

namespace ce::hid_pos {

std::optional<WeightReading> decode(const std::vector<uint8_t>& report) {
  if (report.size() < static_cast<size_t>(kReportSize) || report[0] != 0x03) return std::nullopt;
  WeightReading r;
  switch (report[1]) {
    case 0x01:  // fault
    case 0x07:  // needs calibration
    case 0x08:  // needs re-zeroing
      r.status = ScaleStatus::Fault;
      return r;
    case 0x02:  // stable at zero
      r.stable = true;
      return r;
    case 0x03:
      r.status = ScaleStatus::Motion;
      break;
    case 0x04:
      r.stable = true;
      break;
    case 0x05:
      r.status = ScaleStatus::UnderZero;
      return r;
    case 0x06:
      r.status = ScaleStatus::Overload;
      return r;
    default:
      return std::nullopt;
  }
  // Milligrams per unit: HID POS unit codes 1 mg, 2 g, 3 kg, 11 oz, 12 lb.
  long double per_unit;
  switch (report[2]) {
    case 1:
      per_unit = 1;
      break;
    case 2:
      per_unit = 1e3L;
      break;
    case 3:
      per_unit = 1e6L;
      break;
    case 11:
      per_unit = 28349.523125L;
      break;
    case 12:
      per_unit = 453592.37L;
      break;
    default:
      return std::nullopt;
  }
  // Real scales use a few decimals either way; beyond that the report is
  // garbage (an exponent of 127 overflowed the conversion).
  int exponent = static_cast<int8_t>(report[3]);
  if (exponent < -6 || exponent > 6) return std::nullopt;
  unsigned value = report[4] | (report[5] << 8);
  r.milligrams = std::llround(value * per_unit * std::pow(10.0L, exponent));
  return r;
}

}  // namespace ce::hid_pos
