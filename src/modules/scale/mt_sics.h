// Mettler Toledo's Standard Interface Command Set (MT-SICS), level 0:
// SI (weight now), S (stable weight), Z (zero), T (tare). Commands and
// replies are lines ending in CR LF, e.g. "S S      0.420 kg".
#pragma once

#include <optional>
#include <string>

#include "modules/scale/weight.h"

namespace ce::mt_sics {

inline constexpr const char* kWeightNow = "SI\r\n";
inline constexpr const char* kStableWeight = "S\r\n";
inline constexpr const char* kZero = "Z\r\n";
inline constexpr const char* kTare = "T\r\n";

struct Reply {
  enum class Kind { Weight, Done, NotNow, Overload, Underload, Error } kind = Kind::Error;
  WeightReading reading;  // for Weight (and a tare's weight)
  std::string text;       // what was wrong, for Error
};

// One reply line, without CR LF. Malformed lines give Kind::Error with a
// message naming what was received.
Reply parse(const std::string& line);

}  // namespace ce::mt_sics
