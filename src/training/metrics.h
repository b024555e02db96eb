// The numbers Custom Vision reports for an iteration, and more: per-tag
// precision and recall at a probability threshold, average precision per tag
// and its mean, top-k accuracy, coarse-class accuracy, a confusion matrix
// and calibration.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "modules/classifier/risk_curve.h"

namespace ce {

struct EvaluationInput {
  std::vector<std::string> tags;
  std::vector<std::vector<float>> probabilities;  // one row per image, one column per tag
  std::vector<int> truth;                         // tag id per image
  std::vector<int> coarse_of_tag;                 // empty: no hierarchy
  std::vector<std::string> coarse_names;
  std::vector<std::string> paths;  // per image, for predictions.csv; may be empty
  double threshold = 0.5;
};

struct Evaluation {
  nlohmann::json metrics;                              // everything below, as JSON
  std::vector<std::vector<int>> confusion;             // [truth][predicted top-1]
  std::vector<std::pair<double, double>> reliability;  // per bin: mean confidence, accuracy
  std::vector<int> reliability_counts;
  std::vector<RiskPoint> risk_coverage;
  std::vector<RiskPoint> held_out_risk_coverage;  // the package's, when known: drawn beside
  std::vector<int> coarse_of_tag;                 // as given, for sorting the pictures
  std::vector<std::string> coarse_names;
  std::vector<std::string> prediction_rows;  // predictions.csv, when paths were given
};

Evaluation evaluate(const EvaluationInput& in);

// Writes metrics.json, confusion.csv, risk-coverage.csv, predictions.csv (when
// paths were given), confusion.png, reliability.png and risk-coverage.png
// into `dir`.
void write_evaluation(const Evaluation& e, const std::vector<std::string>& tags,
                      const std::string& dir);

// A few lines for the terminal.
std::string evaluation_summary(const Evaluation& e);

}  // namespace ce
