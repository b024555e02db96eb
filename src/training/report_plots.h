// The evaluation's pictures, for a data scientist: PNG files drawn with
// PLplot, with axes, ticks, labels, legends and colour bars.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "modules/classifier/risk_curve.h"

namespace ce {

// Where the matrix was drawn: its pixel box in the PNG and the products in
// the order of its rows and columns (the truth top down, the prediction
// left to right), so that a reader can find any cell.
struct ConfusionPicture {
  int left = 0, top = 0, right = 0, bottom = 0;
  std::vector<int> order;
};

// Rows the truth, columns the top-1 prediction, each row as shares of its
// photos; sorted by coarse class (lines between classes), the diagonal
// marked, the worst confusions listed beside it.
ConfusionPicture plot_confusion(const std::string& path,
                                const std::vector<std::vector<int>>& confusion,
                                const std::vector<std::string>& tags,
                                const std::vector<int>& coarse_of_tag,
                                const std::vector<std::string>& coarse_names);

// Accuracy per confidence bin against the diagonal of perfect calibration.
void plot_reliability(const std::string& path, const std::vector<std::pair<double, double>>& bins,
                      const std::vector<int>& counts, double ece);

// Risk against coverage, for these photos and (if given) the held-out ones
// the package's thresholds come from, with the line at `marked_risk`.
void plot_risk_coverage(const std::string& path, const std::vector<RiskPoint>& curve,
                        const std::vector<RiskPoint>& held_out, double marked_risk);

// A replay (`checkout-edge replay`): per window of scans, the share
// accepted without a question and the share of those that were wrong,
// with the line at `marked_risk`.
struct ReplayWindow {
  int last_scan = 0;  // the window's last scan, 1-based
  double accepted = 0, wrong_of_accepted = 0, top1 = 0;
};
void plot_replay(const std::string& path, const std::vector<ReplayWindow>& learning,
                 const std::vector<ReplayWindow>& baseline, double marked_risk);

}  // namespace ce
