#include "training/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <stdexcept>

#include "training/report_plots.h"

namespace ce {
namespace {

std::vector<int> ranked(const std::vector<float>& p) {
  std::vector<int> idx(p.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return p[a] > p[b]; });
  return idx;
}

// Non-interpolated average precision: the mean of precision@k over the
// ranks k where a positive image appears.
double average_precision(const EvaluationInput& in, int tag, int positives) {
  if (positives == 0) return 0;
  std::vector<int> order(in.truth.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return in.probabilities[a][tag] > in.probabilities[b][tag];
  });
  double sum = 0;
  int hits = 0;
  for (size_t k = 0; k < order.size(); ++k)
    if (in.truth[order[k]] == tag) sum += static_cast<double>(++hits) / (k + 1);
  return sum / positives;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

Evaluation evaluate(const EvaluationInput& in) {
  const size_t n = in.truth.size(), tags = in.tags.size();
  if (n == 0) throw std::runtime_error("there are no images to evaluate");
  for (auto& row : in.probabilities)
    if (row.size() != tags) throw std::runtime_error("a probability row has the wrong length");
  Evaluation e;
  e.coarse_of_tag = in.coarse_of_tag;
  e.coarse_names = in.coarse_names;
  e.confusion.assign(tags, std::vector<int>(tags, 0));
  std::vector<int> tp(tags, 0), predicted(tags, 0), actual(tags, 0);
  int top[6] = {0, 0, 0, 0, 0, 0};
  int coarse_right = 0;
  const int bins = 10;
  std::vector<double> bin_conf(bins, 0), bin_right(bins, 0);
  e.reliability_counts.assign(bins, 0);
  std::vector<float> top_probability;
  std::vector<bool> top_right;
  for (size_t i = 0; i < n; ++i) {
    const auto& p = in.probabilities[i];
    int t = in.truth[i];
    ++actual[t];
    auto order = ranked(p);
    ++e.confusion[t][order[0]];
    for (int k = 1; k <= 5; ++k)
      if (std::find(order.begin(), order.begin() + std::min<size_t>(k, tags), t) !=
          order.begin() + std::min<size_t>(k, tags))
        ++top[k];
    for (size_t j = 0; j < tags; ++j)
      if (p[j] >= in.threshold) {
        ++predicted[j];
        if (static_cast<int>(j) == t) ++tp[j];
      }
    if (!in.coarse_of_tag.empty()) {
      std::vector<double> coarse(in.coarse_names.size(), 0);
      for (size_t j = 0; j < tags; ++j) coarse[in.coarse_of_tag[j]] += p[j];
      int best = static_cast<int>(std::max_element(coarse.begin(), coarse.end()) - coarse.begin());
      coarse_right += best == in.coarse_of_tag[t];
    }
    double conf = p[order[0]];
    top_probability.push_back(p[order[0]]);
    top_right.push_back(order[0] == t);
    if (i < in.paths.size()) {
      std::string row = csv_field(in.paths[i]) + "," + csv_field(in.tags[t]);
      for (size_t k = 0; k < 5; ++k) {
        if (k < tags) {
          char prob[32];
          std::snprintf(prob, sizeof prob, "%.4f", p[order[k]]);
          row += "," + csv_field(in.tags[order[k]]) + "," + prob;
        } else {
          row += ",,";
        }
      }
      e.prediction_rows.push_back(row);
    }
    int b = std::min(bins - 1, static_cast<int>(conf * bins));
    bin_conf[b] += conf;
    bin_right[b] += order[0] == t;
    ++e.reliability_counts[b];
  }

  nlohmann::json per_tag = nlohmann::json::array();
  double ap_sum = 0;
  int ap_tags = 0, all_tp = 0, all_predicted = 0;
  for (size_t j = 0; j < tags; ++j) {
    double precision = predicted[j] ? static_cast<double>(tp[j]) / predicted[j] : 0;
    double recall = actual[j] ? static_cast<double>(tp[j]) / actual[j] : 0;
    double ap = average_precision(in, static_cast<int>(j), actual[j]);
    if (actual[j]) {
      ap_sum += ap;
      ++ap_tags;
    }
    all_tp += tp[j];
    all_predicted += predicted[j];
    per_tag.push_back({{"tag", in.tags[j]},
                       {"images", actual[j]},
                       {"precision", precision},
                       {"recall", recall},
                       {"averagePrecision", ap}});
  }
  double ece = 0;
  for (int b = 0; b < bins; ++b) {
    int c = e.reliability_counts[b];
    double conf = c ? bin_conf[b] / c : 0, acc = c ? bin_right[b] / c : 0;
    e.reliability.emplace_back(conf, acc);
    ece += static_cast<double>(c) / n * std::abs(acc - conf);
  }
  e.risk_coverage = risk_coverage(top_probability, top_right);
  auto ratio = [n](int k) { return static_cast<double>(k) / n; };
  e.metrics = {{"images", n},
               {"threshold", in.threshold},
               {"precision", all_predicted ? static_cast<double>(all_tp) / all_predicted : 0},
               {"recall", static_cast<double>(all_tp) / n},
               {"meanAveragePrecision", ap_tags ? ap_sum / ap_tags : 0},
               {"top1", ratio(top[1])},
               {"top3", ratio(top[3])},
               {"top4", ratio(top[4])},
               {"top5", ratio(top[5])},
               {"expectedCalibrationError", ece},
               {"riskCoverage", to_json(e.risk_coverage)},
               {"perTag", per_tag}};
  for (double r : {0.005, 0.01, 0.02, 0.05}) {
    double t = threshold_for_risk(e.risk_coverage, r);
    double coverage = 0;
    for (const auto& p : e.risk_coverage)
      if (p.threshold == t) coverage = p.coverage;
    char key[32];
    std::snprintf(key, sizeof key, "%g", r);
    e.metrics["coverageAtRisk"][key] = {{"threshold", t}, {"coverage", coverage}};
  }
  if (!in.coarse_of_tag.empty()) e.metrics["coarseTop1"] = ratio(coarse_right);
  // What staff read first at 81 products, where no matrix carries labels:
  // the pairs most often taken for each other, and each coarse class's
  // products right within it.
  struct Pair {
    size_t truth, predicted;
    int photos;
  };
  std::vector<Pair> pairs;
  for (size_t t = 0; t < tags; ++t)
    for (size_t p = 0; p < tags; ++p)
      if (p != t && e.confusion[t][p] > 0) pairs.push_back({t, p, e.confusion[t][p]});
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const Pair& a, const Pair& b) { return a.photos > b.photos; });
  nlohmann::json worst = nlohmann::json::array();
  for (size_t i = 0; i < pairs.size() && i < 20; ++i)
    worst.push_back({{"truth", in.tags[pairs[i].truth]},
                     {"predicted", in.tags[pairs[i].predicted]},
                     {"photos", pairs[i].photos},
                     {"ofPhotos", actual[pairs[i].truth]}});
  e.metrics["worstConfusions"] = worst;
  if (!in.coarse_of_tag.empty()) {
    nlohmann::json blocks = nlohmann::json::array();
    for (size_t c = 0; c < in.coarse_names.size(); ++c) {
      int photos = 0, right = 0, products = 0;
      for (size_t t = 0; t < tags; ++t) {
        if (in.coarse_of_tag[t] != static_cast<int>(c)) continue;
        ++products;
        photos += actual[t];
        right += e.confusion[t][t];
      }
      if (photos)
        blocks.push_back({{"coarse", in.coarse_names[c]},
                          {"products", products},
                          {"images", photos},
                          {"top1", static_cast<double>(right) / photos}});
    }
    e.metrics["perCoarse"] = blocks;
  }
  return e;
}

void write_evaluation(const Evaluation& e, const std::vector<std::string>& tags,
                      const std::string& dir) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  std::ofstream(fs::path(dir) / "metrics.json") << e.metrics.dump(2) << "\n";
  {
    std::ofstream csv(fs::path(dir) / "confusion.csv");
    csv << "truth\\predicted";
    for (auto& t : tags) csv << "," << t;
    csv << "\n";
    for (size_t i = 0; i < tags.size(); ++i) {
      csv << tags[i];
      for (int c : e.confusion[i]) csv << "," << c;
      csv << "\n";
    }
  }
  {
    std::ofstream csv(fs::path(dir) / "risk-coverage.csv");
    csv << "threshold,coverage,risk\n";
    for (const auto& p : e.risk_coverage)
      csv << p.threshold << "," << p.coverage << "," << p.risk << "\n";
  }
  if (!e.prediction_rows.empty()) {
    std::ofstream csv(fs::path(dir) / "predictions.csv");
    csv << "path,truth,top1,p1,top2,p2,top3,p3,top4,p4,top5,p5\n";
    for (const auto& row : e.prediction_rows) csv << row << "\n";
  }
  plot_confusion((fs::path(dir) / "confusion.png").string(), e.confusion, tags, e.coarse_of_tag,
                 e.coarse_names);
  plot_reliability((fs::path(dir) / "reliability.png").string(), e.reliability,
                   e.reliability_counts, e.metrics.value("expectedCalibrationError", 0.0));
  plot_risk_coverage((fs::path(dir) / "risk-coverage.png").string(), e.risk_coverage,
                     e.held_out_risk_coverage, 0.01);
}

std::string evaluation_summary(const Evaluation& e) {
  const auto& m = e.metrics;
  char coarse[64] = "";
  if (m.contains("coarseTop1"))
    std::snprintf(coarse, sizeof coarse, ", coarse top-1 %.1f%%",
                  100 * m["coarseTop1"].get<double>());
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%d images: top-1 %.1f%%, top-3 %.1f%%, top-4 %.1f%%, top-5 %.1f%%%s\n"
                "precision %.1f%%, recall %.1f%% at probability %.2f; mean AP %.1f%%; "
                "calibration error %.3f\n",
                m["images"].get<int>(), 100 * m["top1"].get<double>(),
                100 * m["top3"].get<double>(), 100 * m["top4"].get<double>(),
                100 * m["top5"].get<double>(), coarse, 100 * m["precision"].get<double>(),
                100 * m["recall"].get<double>(), m["threshold"].get<double>(),
                100 * m["meanAveragePrecision"].get<double>(),
                m["expectedCalibrationError"].get<double>());
  return buf;
}

}  // namespace ce
