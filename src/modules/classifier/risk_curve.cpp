#include "modules/classifier/risk_curve.h"

#include <cstdio>
#include <stdexcept>

namespace ce {

std::vector<RiskPoint> risk_coverage(const std::vector<float>& top,
                                     const std::vector<bool>& right) {
  std::vector<double> thresholds;
  for (int i = 0; i < 100; ++i) thresholds.push_back(i / 100.0);
  thresholds.push_back(0.995);
  thresholds.push_back(0.999);
  std::vector<RiskPoint> curve;
  for (double t : thresholds) {
    int accepted = 0, wrong = 0;
    for (size_t i = 0; i < top.size(); ++i)
      if (top[i] >= t) {
        ++accepted;
        wrong += !right[i];
      }
    RiskPoint p;
    p.threshold = t;
    p.coverage = top.empty() ? 0 : static_cast<double>(accepted) / top.size();
    p.risk = accepted ? static_cast<double>(wrong) / accepted : 0;
    p.accepted = accepted;
    curve.push_back(p);
  }
  return curve;
}

double threshold_for_risk(const std::vector<RiskPoint>& curve, double risk) {
  for (const auto& p : curve)
    if (p.risk <= risk && p.coverage > 0) return p.threshold;
  return 1.0;
}

nlohmann::json to_json(const std::vector<RiskPoint>& curve) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& p : curve)
    j.push_back({{"threshold", p.threshold},
                 {"coverage", p.coverage},
                 {"risk", p.risk},
                 {"accepted", p.accepted}});
  return j;
}

std::vector<RiskPoint> risk_curve_from_json(const nlohmann::json& j) {
  if (!j.is_array())
    throw std::runtime_error("'riskCoverage' must be a list of {threshold, coverage, risk}");
  std::vector<RiskPoint> curve;
  for (const auto& p : j) {
    auto number = [&](const char* key) {
      if (!p.is_object() || !p.contains(key) || !p[key].is_number() || p[key] < 0 || p[key] > 1)
        throw std::runtime_error(std::string("'riskCoverage' entry ") + p.dump() +
                                 " needs a number 0..1 for '" + key + "'");
      return p[key].get<double>();
    };
    RiskPoint r{number("threshold"), number("coverage"), number("risk"), 0};
    if (p.contains("accepted")) {
      if (!p["accepted"].is_number_integer() || p["accepted"] < 0)
        throw std::runtime_error("'riskCoverage' entry " + p.dump() +
                                 " needs a whole number of images for 'accepted'");
      r.accepted = p["accepted"].get<int>();
    }
    curve.push_back(r);
  }
  return curve;
}

nlohmann::json thresholds_at_risk(const std::vector<RiskPoint>& curve) {
  nlohmann::json out = nlohmann::json::object();
  if (curve.empty()) return out;
  for (double r : kRiskLevels) {
    for (const auto& p : curve) {
      if (p.risk > r || p.coverage <= 0) continue;
      if (p.accepted * r < 1.0 - 1e-9) break;  // too few images to tell this risk
      char key[16];
      std::snprintf(key, sizeof key, "%g", r);
      out[key] = p.threshold;
      break;
    }
  }
  return out;
}

}  // namespace ce
