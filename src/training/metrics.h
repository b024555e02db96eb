// The numbers Custom Vision reports for an iteration, and more: per-tag
// precision and recall at a probability threshold, average precision per tag
// and its mean, top-k accuracy, coarse-class accuracy, a confusion matrix
// and calibration.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ce {

struct EvaluationInput {
  std::vector<std::string> tags;
  std::vector<std::vector<float>> probabilities;  // one row per image, one column per tag
  std::vector<int> truth;                         // tag id per image
  std::vector<int> coarse_of_tag;                 // empty: no hierarchy
  std::vector<std::string> coarse_names;
  double threshold = 0.5;
};

struct Evaluation {
  nlohmann::json metrics;                              // everything below, as JSON
  std::vector<std::vector<int>> confusion;             // [truth][predicted top-1]
  std::vector<std::pair<double, double>> reliability;  // per bin: mean confidence, accuracy
  std::vector<int> reliability_counts;
};

Evaluation evaluate(const EvaluationInput& in);

// Writes metrics.json, confusion.csv, confusion.png and reliability.png into `dir`.
void write_evaluation(const Evaluation& e, const std::vector<std::string>& tags,
                      const std::string& dir);

// A few lines for the terminal.
std::string evaluation_summary(const Evaluation& e);

}  // namespace ce
