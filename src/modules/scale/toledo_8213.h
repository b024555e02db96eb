// The Toledo 8213 protocol of checkout scanner-scales: the host sends "W"
// and the scale answers <STX>weight<CR> when the weight is valid, or
// <STX>?<status><CR> when it is not (motion, under zero, over capacity).
// "Z" zeroes and is answered with a status record.
#pragma once

#include <optional>
#include <string>

#include "modules/scale/weight.h"

namespace ce::toledo_8213 {

inline constexpr const char* kWeigh = "W";
inline constexpr const char* kZero = "Z";
inline constexpr char kStx = 0x02;
inline constexpr char kCr = 0x0d;

// Status byte bits (bits 5 and 6 are always set).
inline constexpr int kMotion = 1 << 0;
inline constexpr int kOverCapacity = 1 << 1;
inline constexpr int kUnderZero = 1 << 2;
inline constexpr int kOutsideZeroRange = 1 << 3;
inline constexpr int kCenterOfZero = 1 << 4;

// A frame between STX and CR (both excluded). The scale's unit comes from
// its configuration, as the protocol does not say it. nullopt: malformed.
std::optional<WeightReading> parse(const std::string& frame, const std::string& unit);

}  // namespace ce::toledo_8213
