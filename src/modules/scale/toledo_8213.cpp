#include "modules/scale/toledo_8213.h"

namespace ce::toledo_8213 {

std::optional<WeightReading> parse(const std::string& frame, const std::string& unit) {
  if (frame.empty()) return std::nullopt;
  WeightReading r;
  if (frame[0] == '?') {
    if (frame.size() != 2) return std::nullopt;
    int s = static_cast<unsigned char>(frame[1]) & 0x7f;  // bit 7 is parity
    if ((s & 0x60) != 0x60) return std::nullopt;
    if (s & kOverCapacity)
      r.status = ScaleStatus::Overload;
    else if (s & kUnderZero)
      r.status = ScaleStatus::UnderZero;
    else if (s & kMotion)
      r.status = ScaleStatus::Motion;
    else
      r.status = ScaleStatus::Fault;  // a status record without a reason: zero range
    return r;
  }
  auto mg = to_milligrams(frame, unit);
  if (!mg) return std::nullopt;
  r.milligrams = *mg;
  r.stable = true;  // the scale sends a weight only when it is valid and still
  return r;
}

}  // namespace ce::toledo_8213
