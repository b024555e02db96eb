// A scale's answer, in integer milligrams: exact, whatever unit the scale
// speaks, so that a price computed from it is exact too.
#pragma once

#include <optional>
#include <string>

namespace ce {

enum class ScaleStatus { Ok, Motion, UnderZero, Overload, Disconnected, Fault };
const char* to_string(ScaleStatus s);

struct WeightReading {
  long long milligrams = 0;  // meaningful for Ok and Motion
  ScaleStatus status = ScaleStatus::Ok;
  bool stable = false;  // the scale says so (or the stability filter does)
};

// "0.420" in "kg" -> 420000. Digits with an optional sign and decimal
// point; units mg, g, kg, oz, lb. nullopt for anything else.
std::optional<long long> to_milligrams(const std::string& number, const std::string& unit);

// What a driver read, judged against what the scale can weigh: more than
// its capacity is an overload, far more a fault, a negative weight
// under-zero, whatever the frame's status said.
WeightReading within_capacity(WeightReading reading, long long capacity_mg);

}  // namespace ce
