// Fine-tunes the backbone's tail and a new linear head on cached front
// features. Keeps the weights of the epoch with the best validation accuracy.
#pragma once

#include <atomic>
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
};

struct EpochReport {
  int epoch = 0, epochs = 0;
  double loss = 0, val_accuracy = 0, seconds = 0;
  bool best = false;
};

struct TrainedHead {
  std::string pooling;
  torch::Tensor weight, bias;  // [tags, C], [tags]
  std::map<std::string, torch::Tensor> tail;
  int best_epoch = 0;
  double best_val_accuracy = 0;
  bool interrupted = false;
};

// `stop` is polled between batches (Ctrl-C): training ends early, keeping
// the best epoch so far.
TrainedHead train_head(Backbone& backbone, const FeatureCache& train, const FeatureCache& val,
                       int tags, const TrainSettings& settings, const std::atomic<bool>& stop,
                       const std::function<void(const EpochReport&, double within)>& progress);

// The embedding's maps pooled as the head sees them ("avg" or "avgmax").
torch::Tensor pooled(const torch::Tensor& maps, const std::string& pooling);

// The temperature T that makes softmax(logits / T) the most likely
// probabilities for `labels` (temperature scaling; Guo et al. 2017): one
// number, so the ranking, and with it accuracy, stays as it was.
double fit_temperature(const torch::Tensor& logits, const torch::Tensor& labels);

// Logits for cached features (clean views), with the given weights.
torch::Tensor predict_logits(Backbone& backbone, const TrainedHead& head, const FeatureCache& cache);

// Probabilities for cached features (clean views), with the given weights.
torch::Tensor predict(Backbone& backbone, const TrainedHead& head, const FeatureCache& cache);

}  // namespace ce
