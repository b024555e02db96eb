#include "training/train_command.h"

#include <csignal>
#include <filesystem>
#include <iostream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "modules/classifier/model.h"
#include "training/backbone.h"
#include "training/budget.h"
#include "training/classify_dataset.h"
#include "training/dataset.h"
#include "training/feature_cache.h"
#include "training/metrics.h"
#include "training/package_writer.h"
#include "training/progress_bar.h"
#include "training/trainer.h"

namespace fs = std::filesystem;

namespace ce {
namespace {

std::atomic<bool> stop_requested_by_user = false;

void on_interrupt(int) {
  stop_requested_by_user = true;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C stops at once
}

// A stratified share of `data` moved into a set of its own: for each tag,
// a run of photos next to each other in file order, at a place the seed
// picks. Photos taken one after another look alike (the Grocery Store's
// train split holds sequences of one item): a random share would be near
// copies of the photos trained on, and would promise far more than new
// photos give (95% on such a share where new photos get 80%).
Dataset split_off(Dataset& data, double share, unsigned seed) {
  Dataset val = data;
  val.samples.clear();
  val.source = data.source + " (" + std::to_string(static_cast<int>(share * 100)) + "% held out)";
  std::map<int, std::vector<Sample>> by_tag;
  for (auto& s : data.samples) by_tag[s.tag].push_back(s);
  data.samples.clear();
  std::mt19937 rng(seed);
  for (auto& [tag, samples] : by_tag) {
    std::sort(samples.begin(), samples.end(),
              [](const Sample& a, const Sample& b) { return a.path < b.path; });
    size_t n = std::max<size_t>(1, static_cast<size_t>(samples.size() * share));
    if (samples.size() < 6) n = 0;  // too few to spare any
    size_t start = n ? std::uniform_int_distribution<size_t>(0, samples.size() - n)(rng) : 0;
    for (size_t i = 0; i < samples.size(); ++i)
      (i >= start && i < start + n ? val : data).samples.push_back(samples[i]);
  }
  return val;
}

// Runs the written package through the classifier's own code: the metrics
// describe exactly what the lanes will run.
Evaluation evaluate_package(const std::string& dir, const Dataset& val, double threshold,
                            ProgressBar& bar) {
  Model model = Model::load(nlohmann::json{{"package", dir}}, evaluation_workers());
  std::vector<std::string> skipped;
  EvaluationInput in = classify_dataset(model, val, skipped, [&](size_t done, size_t total) {
    bar.show(static_cast<double>(done) / total, "evaluating");
  });
  in.threshold = threshold;
  return evaluate(in);
}

torch::Tensor pooled_embeddings(Backbones& backbones, const Caches& caches,
                                const std::vector<int64_t>& rows, const std::string& pooling) {
  torch::NoGradGuard no_grad;
  auto idx = torch::tensor(rows, torch::kInt64) * caches.at(0).views;
  std::vector<torch::Tensor> parts;
  for (int64_t i = 0; i < idx.size(0); i += 64) {  // a batch at a time: bounded memory
    auto part = idx.narrow(0, i, std::min<int64_t>(64, idx.size(0) - i));
    Fronts fronts;
    for (const auto& c : caches) fronts.push_back(c.features.index_select(0, part));
    parts.push_back(embedding(backbones, fronts, pooling));
  }
  return torch::cat(parts);
}

// How a backbone's input is fed: what a quantized TensorFlow Lite input
// says, else ImageNet's mean in BGR, what ONNX classifiers expect.
Preprocessing preprocessing_of(const Backbone& b, const TrainOptions& o) {
  Preprocessing pre;
  pre.resize = "shorter-side";
  pre.mean = cv::Scalar(104, 117, 123);
  if (auto& meta = b.metadata(); meta.count("tflite.inputScale")) {
    double mean = std::stod(meta.at("tflite.inputMean"));
    pre.mean = cv::Scalar(mean, mean, mean);
    pre.scale = std::stod(meta.at("tflite.inputScale"));
    pre.rgb = true;
  }
  if (!o.mean.empty()) pre.mean = cv::Scalar(o.mean.at(0), o.mean.at(1), o.mean.at(2));
  return pre;
}

struct Branches {
  Backbones backbones;
  std::vector<Preprocessing> pres;
  bool integer = false;  // every front runs on the integer engine
  std::string names;
};

Branches branches_for(const TrainOptions& o, int fine_tune) {
  Branches b;
  for (const auto& file : o.backbones) {
    b.backbones.emplace_back(file, fine_tune);
    b.pres.push_back(preprocessing_of(b.backbones.back(), o));
    b.names += (b.names.empty() ? "" : " + ") + fs::path(file).filename().string();
  }
  // One crop for every backbone: the size the first one takes, or --input-size.
  for (auto& pre : b.pres) {
    pre.input_width = o.input_size ? o.input_size : b.backbones[0].input_width();
    pre.input_height = o.input_size ? o.input_size : b.backbones[0].input_height();
    pre.resize_to = o.resize_to ? o.resize_to : pre.input_width * 256 / 224;
  }
  // The fronts run as the lane will run them: on the integer engine when
  // every backbone is a TensorFlow Lite file it can cut, at its own size.
  b.integer = o.engine == "integer";
  for (size_t k = 0; k < b.backbones.size(); ++k)
    b.integer &= !b.backbones[k].front_tensor().empty() &&
                 b.pres[k].input_width == b.backbones[k].input_width() &&
                 b.pres[k].input_height == b.backbones[k].input_height();
  return b;
}

// Each part of a run timed on a few of the training photos, through the
// code that will do it, for each number of fine-tuned layers a rung asks.
TrainingCosts measure_costs(const TrainOptions& o, const Dataset& train, size_t other_photos,
                            std::map<int, Branches>& probed) {
  struct Probe {
    double front = 0, step = 0;
  };
  auto probes = std::make_shared<std::map<int, Probe>>();
  // Five photos from across the set; the first alone, once more, to take
  // out what loading the networks costs.
  Dataset few = train, first = train;
  few.samples.clear();
  for (size_t i = 0; i < 5 && i < train.samples.size(); ++i)
    few.samples.push_back(train.samples[i * train.samples.size() / 5]);
  first.samples.assign(few.samples.begin(), few.samples.begin() + 1);
  auto probe = [=, &o, &probed](int fine_tune) -> Probe {
    if (auto it = probes->find(fine_tune); it != probes->end()) return it->second;
    if (!probed.count(fine_tune)) probed.emplace(fine_tune, branches_for(o, fine_tune));
    Branches& b = probed.at(fine_tune);
    Caches caches;
    auto extract = [&](const Dataset& photos) {
      caches.clear();
      auto started = std::chrono::steady_clock::now();
      for (size_t k = 0; k < b.backbones.size(); ++k) {
        Dataset d = photos;
        caches.push_back(
            extract_features(b.backbones[k], b.pres[k], d, Views{1}, o.seed, nullptr, b.integer));
      }
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    };
    const double one = extract(first), all = extract(few);
    Probe p;
    p.front = std::max(0.0, all - one) / std::max<int64_t>(1, caches[0].labels.size(0) - 1);
    TrainSettings s;
    s.batch = o.batch;
    s.pooling = o.pooling;
    p.step =
        training_seconds_per_photo(b.backbones, caches, static_cast<int>(train.tags.size()), s);
    return (*probes)[fine_tune] = p;
  };
  TrainingCosts c;
  c.training_photos = train.samples.size();
  c.other_photos = other_photos;
  c.front_seconds = [=](int fine_tune) { return probe(fine_tune).front; };
  c.step_seconds = [=](int fine_tune) { return probe(fine_tune).step; };
  return c;
}

}  // namespace

int train_command(TrainOptions o) {
  auto started = std::chrono::steady_clock::now();
  Dataset train = load_dataset(o.data, o.classes);
  check_trainable(train);  // on what is listed: fail before minutes of work
  Dataset val;
  if (o.val.empty()) {
    val = split_off(train, o.val_share, o.seed);
  } else {
    val = load_dataset(o.val, o.classes);
    align_tags(val, train.tags);
  }
  if (val.samples.empty())
    throw std::runtime_error("no images to validate on: give --val DATA, or more images per tag");
  // The probabilities are calibrated, and the risk-coverage curve the lane
  // decides by is measured, on photos taken apart from the training photos
  // (another day, another lane). A share held out of the training photos
  // is no such thing: on the Grocery Store they were 100% right where new
  // photos were 81%, and fitted a temperature that made every answer sure.
  Dataset held;
  if (!o.calibration.empty()) {
    held = load_dataset(o.calibration, o.classes);
    align_tags(held, train.tags);
  } else if (o.calibration_share > 0) {
    held = split_off(train, o.calibration_share, o.seed + 7);
    std::cerr << "warning: calibrating on " << held.samples.size()
              << " photos held out of --data: they are like the training photos, so the "
                 "probabilities will be too sure on new ones\n";
  } else {
    std::cerr << "warning: the probabilities are not calibrated and the lane will decide by "
                 "its plain threshold: give --calibration with photos taken apart from the "
                 "training photos (another day, another lane)\n";
  }
  for (auto& w : train.warnings) std::cerr << "warning: " << w << "\n";

  if (o.backbones.empty()) throw std::runtime_error("no backbone to train from: give --backbone");
  if (o.backbones.size() > 1 && o.pooling != "avg")
    throw std::runtime_error("--pooling " + o.pooling + " works with one backbone only");
  // The plan: what the budget allows on this machine, measured.
  std::map<int, Branches> probed;
  TrainingCosts costs = measure_costs(o, train, held.samples.size() + val.samples.size(), probed);
  TrainingPlan plan = plan_training(o.budget, costs, [&](TrainingPlan& p) {
    if (o.given.count("fine-tune")) p.fine_tune = o.fine_tune;
    if (o.given.count("views")) p.views = o.views;
    if (o.given.count("epochs")) p.epochs = p.most_epochs = o.epochs;
    if (o.given.count("augment")) p.augment = o.augment;
  });
  o.fine_tune = plan.fine_tune;
  o.views = plan.views;
  o.epochs = plan.epochs;
  o.augment = plan.augment;
  std::cerr << "plan for " << budget_text(o.budget) << ": fine-tune " << o.fine_tune << " layers, "
            << o.views << " views (" << o.augment << "), " << o.epochs << " epochs; about "
            << static_cast<int>(plan.estimated_seconds) << " s"
            << (plan.estimated_seconds > o.budget.count()
                    ? " (more than the budget: the epochs that fit run)"
                    : "")
            << "\n";
  if (!probed.count(o.fine_tune)) probed.emplace(o.fine_tune, branches_for(o, o.fine_tune));
  Branches& chosen = probed.at(o.fine_tune);
  Backbones& backbones = chosen.backbones;
  const std::vector<Preprocessing>& pres = chosen.pres;
  const bool integer = chosen.integer;
  const std::string& names = chosen.names;
  if (o.engine == "integer" && !integer)
    std::cerr << "note: a backbone is not a TensorFlow Lite file, trains whole, or is fed another "
                 "size than its own: all of them run on the float engine (OpenCV)\n";
  std::cerr << "training " << train.tags.size() << " tags on " << train.samples.size()
            << " images (" << held.samples.size() << " to calibrate on, validating on "
            << val.samples.size() << "), fine-tuning " << o.fine_tune << " layers of " << names
            << (integer ? " (fronts on the integer engine)" : " (float engine)") << "\n";

  std::signal(SIGINT, on_interrupt);
  ProgressBar reading("reading images");
  auto show_reading = [&](size_t done, size_t total) {
    if (stop_requested_by_user)
      throw std::runtime_error("stopped by Ctrl-C while reading the images; nothing was written");
    reading.show(static_cast<double>(done) / total,
                 std::to_string(done) + "/" + std::to_string(total));
  };
  // Each backbone sees the same views of the same photos (per-photo seeds).
  Caches train_caches, held_caches;
  for (size_t k = 0; k < backbones.size(); ++k) {
    Dataset t = train, h = held;  // each pass lists what it skipped
    train_caches.push_back(extract_features(backbones[k], pres[k], t,
                                            Views{o.views, o.augment == "light"}, o.seed,
                                            show_reading, integer));
    if (!held.samples.empty())
      held_caches.push_back(
          extract_features(backbones[k], pres[k], h, Views{1}, o.seed, show_reading, integer));
    if (k == 0) {
      train.skipped = t.skipped;
      held.skipped = h.skipped;
    }
  }
  const FeatureCache& train_cache = train_caches[0];
  FeatureCache held_cache = held_caches.empty() ? FeatureCache{} : held_caches[0];
  for (auto& s : train.skipped) std::cerr << "skipped " << s << "\n";
  for (auto& s : held.skipped) std::cerr << "skipped " << s << "\n";
  Dataset kept = train;  // the readable ones, for the rules and the summary
  kept.samples.clear();
  for (int i : train_cache.kept) kept.samples.push_back(train.samples[i]);
  check_trainable(kept);
  reading.done("read " + std::to_string(kept.samples.size()) + " training and " +
               std::to_string(held_cache.kept.size()) + " held-out images (" +
               std::to_string(o.views) + " views each for training)");

  TrainSettings settings;
  settings.epochs = o.epochs;
  // What is left of the budget, less writing and checking the package.
  settings.finish_by =
      started + o.budget - std::chrono::seconds(10) -
      std::chrono::seconds(static_cast<int>(val.samples.size() * costs.front_seconds(o.fine_tune)));
  settings.batch = o.batch;
  settings.seed = o.seed;
  settings.pooling = o.pooling;
  ProgressBar bar("training");
  TrainedHead head =
      train_head(backbones, train_caches, held_caches, static_cast<int>(train.tags.size()),
                 settings, stop_requested_by_user, [&](const EpochReport& r, double within) {
                   double share = (r.epoch - 1 + within) / r.epochs;
                   char detail[160];
                   std::snprintf(detail, sizeof detail, "epoch %d/%d, loss %.3f, held-out %.1f%%",
                                 r.epoch, r.epochs, r.loss, 100 * r.val_accuracy);
                   if (within >= 1.0 && r.seconds > 0) {
                     std::snprintf(detail, sizeof detail,
                                   "epoch %2d/%d  loss %.3f  held-out top-1 %.1f%%  %.0f s",
                                   r.epoch, r.epochs, r.loss, 100 * r.val_accuracy, r.seconds);
                     bar.done(detail);
                   } else {
                     bar.show(share, detail);
                   }
                 });
  std::signal(SIGINT, SIG_DFL);
  if (head.interrupted && head.best_epoch == 0)
    throw std::runtime_error("stopped by Ctrl-C before the first epoch ended; nothing was written");
  if (head.interrupted)
    std::cerr << "stopped by Ctrl-C; writing the best epoch so far (" << head.best_epoch << ")\n";
  else if (head.cut_to_time)
    std::cerr << "the budget of " << budget_text(o.budget) << " allowed " << head.best_epoch
              << " of the " << o.epochs << " epochs planned\n";

  // Temperature scaling on the held-out photos: the same ranking, with
  // probabilities that mean what they say. It is folded into the head.
  double temperature = 1.0;
  nlohmann::json calibration = {{"method", "none"}};
  if (held_cache.labels.defined() && held_cache.labels.size(0) > 0) {
    torch::Tensor logits = predict_logits(backbones, head, held_caches);
    temperature = fit_temperature(logits, held_cache.labels);
    head.weight = head.weight / temperature;
    head.bias = head.bias / temperature;
    auto probabilities = torch::softmax(logits / temperature, 1);
    auto [top, index] = probabilities.max(1);
    std::vector<float> top_p(top.data_ptr<float>(), top.data_ptr<float>() + top.size(0));
    std::vector<bool> right;
    for (int64_t i = 0; i < index.size(0); ++i)
      right.push_back(index[i].item<int64_t>() == held_cache.labels[i].item<int64_t>());
    calibration = {{"method", "temperature"},
                   {"temperature", temperature},
                   {"images", held_cache.labels.size(0)},
                   {"source", held.source},
                   {"riskCoverage", to_json(risk_coverage(top_p, right))}};
  }

  // A few embeddings per tag, for enrollment later.
  std::vector<int64_t> rows;
  std::map<int, int> per_tag;
  for (int64_t i = 0; i < train_cache.labels.size(0); ++i)
    if (per_tag[train_cache.labels[i].item<int>()]++ < 20) rows.push_back(i);
  PackageContents contents;
  contents.name = o.name.empty() ? fs::path(o.out).filename().string() : o.name;
  contents.iteration = o.iteration;
  contents.tags = train.tags;
  contents.head_weight = head.weight;
  contents.head_bias = head.bias;
  contents.pooling = head.pooling;
  contents.exemplars = pooled_embeddings(backbones, train_caches, rows, head.pooling);
  contents.exemplar_tags = train_cache.labels.index_select(0, torch::tensor(rows, torch::kInt64));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  contents.info = {{"training",
                    {{"data", kept.summary()},
                     {"validation", {{"source", val.source}, {"images", val.samples.size()}}},
                     {"heldOut", {{"source", held.source}, {"images", held_cache.kept.size()}}},
                     {"backbone", o.backbones.size() == 1 ? nlohmann::json(o.backbones[0])
                                                          : nlohmann::json(o.backbones)},
                     {"fineTunedLayers", o.fine_tune},
                     {"budget", budget_text(o.budget)},
                     {"epochs", o.epochs},
                     {"cutToTime", head.cut_to_time},
                     {"bestEpoch", head.best_epoch},
                     {"views", o.views},
                     {"augment", o.augment},
                     {"pooling", o.pooling},
                     {"inputSize", pres[0].input_width},
                     {"engine", integer ? "integer" : "float"},
                     {"seed", o.seed},
                     {"interrupted", head.interrupted},
                     {"seconds", seconds}}},
                   {"calibration", calibration}};
  std::string embedding_tensor;
  onnx::ModelProto graph =
      integer ? tails_side_by_side(backbones, pres, embedding_tensor, contents.fronts)
              : side_by_side(backbones, pres, embedding_tensor);
  contents.preprocessing =
      backbones.size() == 1 && !integer ? pres[0] : pixels_as_they_are(pres[0]);
  auto package = write_package(o.out, graph, embedding_tensor, contents);

  ProgressBar evaluating("checking the package");
  Evaluation e = evaluate_package(o.out, val, o.threshold, evaluating);
  if (calibration.contains("riskCoverage"))
    e.held_out_risk_coverage = risk_curve_from_json(calibration["riskCoverage"]);
  write_evaluation(e, train.tags, o.out);
  package["metrics"] = e.metrics;
  package["metrics"].erase("perTag");  // in metrics.json
  package["metrics"].erase("riskCoverage");
  finish_package(o.out, package);
  evaluating.done("");
  std::cout << "model package " << o.out << " (" << contents.name << " iteration " << o.iteration
            << ", " << train.tags.size() << " tags), trained in " << static_cast<int>(seconds)
            << " s\nvalidation: " << evaluation_summary(e);
  if (calibration.contains("riskCoverage")) {
    // The lane picks its threshold from the held-out curve; what that
    // threshold does on photos no choice has seen:
    auto held_curve = risk_curve_from_json(calibration["riskCoverage"]);
    for (double risk : {0.01, 0.02}) {
      double t = threshold_for_risk(held_curve, risk);
      for (const auto& p : e.risk_coverage)
        if (p.threshold == t)
          std::printf(
              "at %.0f%% risk on the held-out photos (threshold %.2f, temperature %.2f): "
              "validation accepts %.1f%% of scans, %.1f%% of those wrong\n",
              100 * risk, t, temperature, 100 * p.coverage, 100 * p.risk);
    }
  }
  return 0;
}

}  // namespace ce
