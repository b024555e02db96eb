#include "training/train_command.h"

#include <csignal>
#include <filesystem>
#include <iostream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "modules/classifier/model.h"
#include "training/backbone.h"
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

// A stratified, seeded share of `data` moved into a validation set.
Dataset split_off(Dataset& data, double share, unsigned seed) {
  Dataset val = data;
  val.samples.clear();
  val.source = data.source + " (" + std::to_string(static_cast<int>(share * 100)) + "% held out)";
  std::map<int, std::vector<Sample>> by_tag;
  for (auto& s : data.samples) by_tag[s.tag].push_back(s);
  data.samples.clear();
  std::mt19937 rng(seed);
  for (auto& [tag, samples] : by_tag) {
    std::shuffle(samples.begin(), samples.end(), rng);
    size_t n = std::max<size_t>(1, static_cast<size_t>(samples.size() * share));
    if (samples.size() < 6) n = 0;  // too few to spare any
    for (size_t i = 0; i < samples.size(); ++i) (i < n ? val : data).samples.push_back(samples[i]);
  }
  return val;
}

// Runs the written package through the classifier's own code: the metrics
// describe exactly what the lanes will run.
Evaluation evaluate_package(const std::string& dir, const Dataset& val, double threshold,
                            ProgressBar& bar) {
  Model model = Model::load(nlohmann::json{{"package", dir}});
  EvaluationInput in;
  in.tags = model.labels();
  in.coarse_of_tag = val.coarse_of_tag;
  in.coarse_names = val.coarse_names;
  in.threshold = threshold;
  for (size_t i = 0; i < val.samples.size(); ++i) {
    cv::Mat img = cv::imread(val.samples[i].path, cv::IMREAD_COLOR);
    if (img.empty()) continue;
    std::vector<float> row(in.tags.size());
    for (auto& p : model.classify(img)) row[p.tag_id] = p.probability;
    in.probabilities.push_back(std::move(row));
    in.truth.push_back(val.samples[i].tag);
    bar.show(static_cast<double>(i + 1) / val.samples.size(), "evaluating");
  }
  return evaluate(in);
}

torch::Tensor pooled_embeddings(Backbone& backbone, const FeatureCache& cache,
                                const std::vector<int64_t>& rows, const std::string& pooling) {
  torch::NoGradGuard no_grad;
  auto idx = torch::tensor(rows, torch::kInt64) * cache.views;
  std::vector<torch::Tensor> parts;
  for (int64_t i = 0; i < idx.size(0); i += 64) {  // a batch at a time: bounded memory
    torch::Tensor maps = backbone.tail(
        cache.features.index_select(0, idx.narrow(0, i, std::min<int64_t>(64, idx.size(0) - i))));
    parts.push_back(pooled(maps, pooling));
  }
  return torch::cat(parts);
}

}  // namespace

int train_command(const TrainOptions& o) {
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
  for (auto& w : train.warnings) std::cerr << "warning: " << w << "\n";

  Backbone backbone(o.backbone, o.fine_tune);
  Preprocessing pre;
  pre.resize = "shorter-side";
  pre.mean = cv::Scalar(o.mean.at(0), o.mean.at(1), o.mean.at(2));
  pre.input_width = o.input_size ? o.input_size : backbone.input_width();
  pre.input_height = o.input_size ? o.input_size : backbone.input_height();
  pre.resize_to = o.resize_to ? o.resize_to : pre.input_width * 256 / 224;
  std::cerr << "training " << train.tags.size() << " tags on " << train.samples.size()
            << " images (validating on " << val.samples.size() << "), fine-tuning " << o.fine_tune
            << " layers of " << o.backbone << "\n";

  std::signal(SIGINT, on_interrupt);
  ProgressBar reading("reading images");
  auto show_reading = [&](size_t done, size_t total) {
    if (stop_requested_by_user)
      throw std::runtime_error("stopped by Ctrl-C while reading the images; nothing was written");
    reading.show(static_cast<double>(done) / total,
                 std::to_string(done) + "/" + std::to_string(total));
  };
  FeatureCache train_cache = extract_features(backbone, pre, train, o.views, o.seed, show_reading);
  FeatureCache val_cache = extract_features(backbone, pre, val, 1, o.seed, show_reading);
  for (auto& s : train.skipped) std::cerr << "skipped " << s << "\n";
  for (auto& s : val.skipped) std::cerr << "skipped " << s << "\n";
  Dataset kept = train;  // the readable ones, for the rules and the summary
  kept.samples.clear();
  for (int i : train_cache.kept) kept.samples.push_back(train.samples[i]);
  check_trainable(kept);
  reading.done("read " + std::to_string(kept.samples.size()) + " training and " +
               std::to_string(val_cache.kept.size()) + " validation images (" +
               std::to_string(o.views) + " views each for training)");

  TrainSettings settings;
  settings.epochs = o.epochs;
  settings.batch = o.batch;
  settings.seed = o.seed;
  settings.pooling = o.pooling;
  ProgressBar bar("training");
  TrainedHead head = train_head(
      backbone, train_cache, val_cache, static_cast<int>(train.tags.size()), settings,
      stop_requested_by_user, [&](const EpochReport& r, double within) {
        double share = (r.epoch - 1 + within) / r.epochs;
        char detail[160];
        std::snprintf(detail, sizeof detail, "epoch %d/%d, loss %.3f, val %.1f%%", r.epoch,
                      r.epochs, r.loss, 100 * r.val_accuracy);
        if (within >= 1.0 && r.seconds > 0) {
          std::snprintf(detail, sizeof detail,
                        "epoch %2d/%d  loss %.3f  val top-1 %.1f%%  %.0f s%s", r.epoch, r.epochs,
                        r.loss, 100 * r.val_accuracy, r.seconds, r.best ? "  (best)" : "");
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

  // A few embeddings per tag, for enrollment later.
  std::vector<int64_t> rows;
  std::map<int, int> per_tag;
  for (int64_t i = 0; i < train_cache.labels.size(0); ++i)
    if (per_tag[train_cache.labels[i].item<int>()]++ < 20) rows.push_back(i);
  PackageContents contents;
  contents.name = o.name.empty() ? fs::path(o.out).filename().string() : o.name;
  contents.iteration = o.iteration;
  contents.tags = train.tags;
  contents.preprocessing = pre;
  contents.head_weight = head.weight;
  contents.head_bias = head.bias;
  contents.pooling = head.pooling;
  contents.exemplars = pooled_embeddings(backbone, train_cache, rows, head.pooling);
  contents.exemplar_tags = train_cache.labels.index_select(0, torch::tensor(rows, torch::kInt64));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  contents.info = {{"training",
                    {{"data", kept.summary()},
                     {"validation", {{"source", val.source}, {"images", val_cache.kept.size()}}},
                     {"backbone", o.backbone},
                     {"fineTunedLayers", o.fine_tune},
                     {"epochs", o.epochs},
                     {"bestEpoch", head.best_epoch},
                     {"views", o.views},
                     {"pooling", o.pooling},
                     {"inputSize", pre.input_width},
                     {"seed", o.seed},
                     {"interrupted", head.interrupted},
                     {"seconds", seconds}}}};
  auto package =
      write_package(o.out, backbone.graph_to_embedding(), backbone.embedding(), contents);

  ProgressBar evaluating("checking the package");
  Evaluation e = evaluate_package(o.out, val, o.threshold, evaluating);
  write_evaluation(e, train.tags, o.out);
  package["metrics"] = e.metrics;
  package["metrics"].erase("perTag");  // in metrics.json
  finish_package(o.out, package);
  evaluating.done("");
  std::cout << "model package " << o.out << " (" << contents.name << " iteration " << o.iteration
            << ", " << train.tags.size() << " tags), trained in " << static_cast<int>(seconds)
            << " s\nvalidation: " << evaluation_summary(e);
  return 0;
}

}  // namespace ce
