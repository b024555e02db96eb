// replay: labelled photos played through the lane's own decisions, one
// scan each: the model, the memory (LaneLearning, as the classifier uses
// it), the threshold for acceptRisk (the checkout's threshold_for). Its
// questions are answered from the labels as a shopper would answer them,
// accepted lines are paid (or voided when wrong), and the lane learns from
// each as it would. The weight is left aside. The model alone is replayed
// beside it on the same photos, for comparison.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <numeric>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "cli/commands.h"
#include "modules/checkout/scan_session.h"
#include "modules/classifier/lane_learning.h"
#include "training/dataset.h"
#include "training/report_plots.h"

namespace fs = std::filesystem;

namespace ce {

namespace {

struct Tally {
  int scans = 0, accepted = 0, wrong = 0, right_top1 = 0, questions = 0;
  void add(bool accepted_now, bool top1_right) {
    ++scans;
    right_top1 += top1_right;
    if (accepted_now) {
      ++accepted;
      wrong += !top1_right;
    } else {
      ++questions;
    }
  }
  ReplayWindow window(int last) const {
    return {last, scans ? double(accepted) / scans : 0, accepted ? double(wrong) / accepted : 0,
            scans ? double(right_top1) / scans : 0};
  }
  std::string line() const {
    std::ostringstream s;
    s << std::fixed << std::setprecision(1) << "top-1 " << 100.0 * right_top1 / std::max(1, scans)
      << "%, accepted " << 100.0 * accepted / std::max(1, scans) << "%, wrong of accepted "
      << 100.0 * wrong / std::max(1, accepted) << "% (" << wrong << "/" << accepted
      << "), questions " << questions;
    return s.str();
  }
};

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

int replay_command(const ReplayOptions& o) {
  auto model = std::make_shared<Model>(Model::load(nlohmann::json{{"package", o.model}}));
  Dataset data = load_dataset(o.data, o.classes);
  std::vector<Sample> stream = data.samples;
  if (stream.empty()) throw std::runtime_error(o.data + ": no photos to replay");
  if (o.shuffle >= 0) std::shuffle(stream.begin(), stream.end(), std::mt19937(o.shuffle));

  fs::path memory_dir = o.memory;
  bool temporary = memory_dir.empty();
  if (temporary)
    memory_dir = fs::temp_directory_path() / ("checkout-edge-replay-" + std::to_string(getpid()));
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      if (!dir.empty()) fs::remove_all(dir, ec);
    }
  } cleanup{temporary ? memory_dir : fs::path()};
  std::unique_ptr<LaneLearning> learning;
  if (o.learn) {
    LearningSettings s;
    s.rule.neighbours = o.neighbours;
    s.rule.memory_weight = o.memory_weight;
    s.rule.closest_at_least = static_cast<float>(o.closest_at_least);
    s.rule.trusted_from = static_cast<float>(o.trusted_from);
    learning = std::make_unique<LaneLearning>(model, memory_dir, s);
  }
  ScanSettings decide;
  decide.accept_risk = o.accept_risk;
  decide.threshold = o.threshold;

  std::ofstream csv;
  if (!o.out.empty()) {
    fs::create_directories(o.out);
    csv.open(fs::path(o.out) / "replay.csv");
    csv << "scan,path,truth,top,score,threshold,accepted,right,answer,modelTop,modelScore,"
           "modelThreshold,modelAccepted,memory\n";
  }
  std::cout << model->version() << ", " << stream.size() << " photos of " << data.source
            << (o.shuffle >= 0 ? ", shuffled with seed " + std::to_string(o.shuffle) : "")
            << ", acceptRisk " << o.accept_risk * 100 << "%, learning " << (o.learn ? "on" : "off")
            << "\n";
  Tally window, window_model, first, second, first_model, second_model;
  std::vector<ReplayWindow> windows, windows_model;
  int skipped = 0;
  for (size_t i = 0; i < stream.size(); ++i) {
    const Sample& s = stream[i];
    const std::string truth = data.tags[s.tag];
    std::string jpeg = read_bytes(s.path);
    cv::Mat img = model->decode(jpeg);
    if (img.empty()) {
      ++skipped;
      continue;
    }
    std::vector<float> embedding;
    auto alone = model->classify(img, learning ? &embedding : nullptr);
    double model_threshold = threshold_for(decide, model->thresholds_at_risk());
    bool model_accepted = alone.front().probability >= model_threshold;
    bool model_right = alone.front().tag_name == truth;

    std::vector<Prediction> seen = alone;
    double threshold = model_threshold;
    std::string scene = "replay-" + std::to_string(i);
    if (learning) {
      seen = learning->see(scene, alone, embedding, jpeg);
      threshold = threshold_for(decide, learning->thresholds_at_risk(model->thresholds_at_risk()));
    }
    bool accepted = seen.front().probability >= threshold;
    bool right = seen.front().tag_name == truth;
    // The shopper's part: pays what is right, voids what is not, answers a
    // question from what the item is, or says "none of these".
    std::string answer;
    if (accepted) {
      answer = right ? "paid" : "void";
    } else {
      size_t offered = std::min<size_t>(seen.size(), o.candidates_spoken);
      bool in_offer = std::any_of(seen.begin(), seen.begin() + static_cast<long>(offered),
                                  [&](const Prediction& p) { return p.tag_name == truth; });
      answer = in_offer ? "answer" : "none";
      if (learning && !in_offer)
        for (size_t c = 0; c < offered; ++c)
          learning->teach({{"scene", scene},
                           {"tags", {seen[c].tag_name}},
                           {"against", true},
                           {"source", "none"}});
    }
    if (learning) {
      if (answer == "paid" || answer == "answer")
        learning->teach({{"scene", scene}, {"tags", {truth}}, {"source", answer}});
      else if (answer == "void")
        learning->teach({{"scene", scene},
                         {"tags", {seen.front().tag_name}},
                         {"against", true},
                         {"source", "void"}});
    }
    bool second_half = i >= stream.size() / 2;
    for (Tally* t : {&window, second_half ? &second : &first}) t->add(accepted, right);
    for (Tally* t : {&window_model, second_half ? &second_model : &first_model})
      t->add(model_accepted, model_right);
    if (csv.is_open())
      csv << i + 1 << ",\"" << s.path << "\"," << truth << "," << seen.front().tag_name << ","
          << seen.front().probability << "," << threshold << "," << accepted << "," << right << ","
          << answer << "," << alone.front().tag_name << "," << alone.front().probability << ","
          << model_threshold << "," << model_accepted << "," << (learning ? learning->size() : 0)
          << "\n";
    if (window.scans == 100 || i + 1 == stream.size()) {
      std::cout << "scans " << std::setw(5) << i + 2 - window.scans << "-" << std::setw(5) << i + 1
                << ": " << window.line() << "\n";
      windows.push_back(window.window(static_cast<int>(i + 1)));
      windows_model.push_back(window_model.window(static_cast<int>(i + 1)));
      window = window_model = {};
    }
  }
  std::cout << "first half:  " << first.line() << "\n"
            << "second half: " << second.line() << "\n";
  if (learning)
    std::cout << "model alone, first half:  " << first_model.line() << "\n"
              << "model alone, second half: " << second_model.line() << "\n"
              << "memory: " << learning->size() << " examples\n";
  if (skipped) std::cout << skipped << " photos were not readable and were skipped\n";
  if (!o.out.empty()) {
    plot_replay((fs::path(o.out) / "replay.png").string(), windows,
                learning ? windows_model : std::vector<ReplayWindow>{}, o.accept_risk);
    std::cout << "per scan in " << (fs::path(o.out) / "replay.csv").string() << ", plotted in "
              << (fs::path(o.out) / "replay.png").string() << "\n";
  }
  return 0;
}

}  // namespace ce
