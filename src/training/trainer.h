// Fine-tunes the backbones' tails and a new linear head on cached front
// features. Keeps the weights of the last epoch; reports each epoch's
// accuracy on the held-out photos.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "training/backbone.h"
#include "training/feature_cache.h"

namespace ce {

struct TrainSettings {
  int epochs = 10;
  int batch = 64;
  double head_lr = 3e-3, tail_lr = 5e-4, weight_decay = 1e-4;
  double label_smoothing = 0.1;
  double dropout = 0.0;       // on the pooled embedding, while training
  bool flip_features = true;  // mirrors cached feature maps, a free extra view
  // "avg": the embedding's mean over the image; "avgmax": its mean and its
  // maximum side by side (small details of fine-grained products count).
  std::string pooling = "avg";
  uint32_t seed = 1;
  // When the last epoch must have ended (a budget): once an epoch's time is
  // known, the run is cut to the epochs that fit, the rates decaying to zero
  // at the new end.
  std::chrono::steady_clock::time_point finish_by = std::chrono::steady_clock::time_point::max();
};

struct EpochReport {
  int epoch = 0, epochs = 0;
  double loss = 0, val_accuracy = 0, seconds = 0;  // val_accuracy: on the calibration photos
};

// One or more backbones side by side, each with its features cached: each
// runs its own tail, and their pooled embeddings, concatenated, feed one head.
using Backbones = std::vector<Backbone>;
using Caches = std::vector<FeatureCache>;  // one per backbone, the same photos and views
using Fronts = std::vector<torch::Tensor>;

struct TrainedHead {
  std::string pooling;
  torch::Tensor weight, bias;                              // [tags, C], [tags]
  std::vector<std::map<std::string, torch::Tensor>> tail;  // per backbone
  int best_epoch = 0;
  double best_val_accuracy = 0;
  bool interrupted = false;
  bool cut_to_time = false;  // fewer epochs than asked, to end by finish_by
};

// `stop` is polled between batches (Ctrl-C): training ends early, keeping
// the last whole epoch.
TrainedHead train_head(Backbones& backbones, const Caches& train, const Caches& val, int tags,
                       const TrainSettings& settings, const std::atomic<bool>& stop,
                       const std::function<void(const EpochReport&, double within)>& progress);

// What training costs for each photo of an epoch with these tails: forward
// and backward passes on a batch made of `caches`' rows, timed. Leaves the
// tails' weights as they were.
double training_seconds_per_photo(Backbones& backbones, const Caches& caches, int tags,
                                  const TrainSettings& settings);

// The embedding's maps pooled as the head sees them ("avg" or "avgmax").
torch::Tensor pooled(const torch::Tensor& maps, const std::string& pooling);
// What the head sees: each backbone's tail on its front, pooled, side by side.
torch::Tensor embedding(Backbones& backbones, const Fronts& fronts, const std::string& pooling);

std::vector<std::map<std::string, torch::Tensor>> tail_weights(const Backbones& backbones);
void load_tail_weights(Backbones& backbones,
                       const std::vector<std::map<std::string, torch::Tensor>>& weights);

// The temperature T that makes softmax(logits / T) the most likely
// probabilities for `labels` (temperature scaling; Guo et al. 2017): one
// number, so the ranking, and with it accuracy, stays as it was.
double fit_temperature(const torch::Tensor& logits, const torch::Tensor& labels);

// Logits for cached features (clean views), with the given weights.
torch::Tensor predict_logits(Backbones& backbones, const TrainedHead& head, const Caches& caches);

// Probabilities for cached features (clean views), with the given weights.
torch::Tensor predict(Backbones& backbones, const TrainedHead& head, const Caches& caches);

}  // namespace ce
