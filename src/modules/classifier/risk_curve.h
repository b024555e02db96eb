// Deciding without a question at a threshold: the share of scans whose top
// probability reaches it (coverage) and the share of those that are wrong
// (risk). Training measures the curve on photos it held out and keeps it in
// the package; the classifier tells the checkout, with each prediction, the
// threshold that keeps each level of risk.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

namespace ce {

struct RiskPoint {
  double threshold = 0, coverage = 0, risk = 0;
  int accepted = 0;  // images at or above the threshold, of those measured
};

// The curve of top-1 scores and whether each top tag was right, at
// thresholds 0, 0.01, ... 0.99, 0.995, 0.999.
std::vector<RiskPoint> risk_coverage(const std::vector<float>& top, const std::vector<bool>& right);
// The lowest threshold whose risk is at most `risk` (1.0 when none is).
double threshold_for_risk(const std::vector<RiskPoint>& curve, double risk);
nlohmann::json to_json(const std::vector<RiskPoint>& curve);
// Throws naming the field for a curve that is not [{threshold, coverage, risk}...].
std::vector<RiskPoint> risk_curve_from_json(const nlohmann::json& j);

// The risks a prediction message carries thresholds for.
inline const std::vector<double> kRiskLevels{0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2};
// {"0.01": 0.83, ...}: the threshold for each level that the curve can
// tell: a risk of 1% is only measured where at least 100 images were
// accepted (fewer could not show one mistake in a hundred). Empty without
// a curve; a level it cannot tell is left out, and the checkout then falls
// back to its plain threshold.
nlohmann::json thresholds_at_risk(const std::vector<RiskPoint>& curve);

}  // namespace ce
