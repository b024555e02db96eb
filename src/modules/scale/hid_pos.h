// USB HID point-of-sale scales (usage page 0x8D), read from /dev/hidraw*:
// a 6-byte report [report id, status, unit, exponent, weight LSB, MSB];
// weight = value x 10^exponent in the unit.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "modules/scale/weight.h"

namespace ce::hid_pos {

inline constexpr int kReportSize = 6;

// nullopt for a report that is not a weight report.
std::optional<WeightReading> decode(const std::vector<uint8_t>& report);

}  // namespace ce::hid_pos
