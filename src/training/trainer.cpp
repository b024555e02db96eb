#include "training/trainer.h"

#include <chrono>

namespace ce {
namespace {

torch::Tensor clean_views(const FeatureCache& c) {
  using torch::indexing::Slice;
  return c.features.index({Slice(0, c.features.size(0), c.views)});
}

torch::Tensor logits(Backbone& backbone, const torch::Tensor& front, const torch::Tensor& w,
                     const torch::Tensor& b, const std::string& pooling, double dropout = 0) {
  torch::Tensor e = pooled(backbone.tail(front), pooling);
  if (dropout > 0) e = torch::dropout(e, dropout, true);
  return torch::linear(e, w, b);
}

double accuracy(Backbone& backbone, const FeatureCache& val, const torch::Tensor& w,
                const torch::Tensor& b, const std::string& pooling) {
  torch::NoGradGuard no_grad;
  if (!val.labels.defined() || val.labels.size(0) == 0) return 0;  // none held out
  torch::Tensor front = clean_views(val);
  int64_t right = 0;
  for (int64_t i = 0; i < front.size(0); i += 128) {
    auto part = front.narrow(0, i, std::min<int64_t>(128, front.size(0) - i));
    auto pred = logits(backbone, part, w, b, pooling).argmax(1);
    right += pred.eq(val.labels.narrow(0, i, part.size(0))).sum().item<int64_t>();
  }
  return front.size(0) ? static_cast<double>(right) / front.size(0) : 0;
}

}  // namespace

torch::Tensor pooled(const torch::Tensor& maps, const std::string& pooling) {
  torch::Tensor avg = maps.mean({2, 3});
  return pooling == "avgmax" ? torch::cat({avg, maps.amax({2, 3})}, 1) : avg;
}

TrainedHead train_head(Backbone& backbone, const FeatureCache& train, const FeatureCache& val,
                       int tags, const TrainSettings& s, const std::atomic<bool>& stop,
                       const std::function<void(const EpochReport&, double)>& progress) {
  torch::manual_seed(s.seed);
  const int64_t images = train.labels.size(0);
  int64_t channels;
  {
    torch::NoGradGuard no_grad;
    channels = pooled(backbone.tail(train.features.narrow(0, 0, 1)), s.pooling).size(1);
  }
  auto w = torch::empty({tags, channels}).normal_(0, 0.01).set_requires_grad(true);
  auto b = torch::zeros({tags}).set_requires_grad(true);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{w, b},
                      std::make_unique<torch::optim::AdamWOptions>(s.head_lr));
  groups.emplace_back(backbone.tail_parameters(),
                      std::make_unique<torch::optim::AdamWOptions>(s.tail_lr));
  for (auto& g : groups)
    static_cast<torch::optim::AdamWOptions&>(g.options()).weight_decay(s.weight_decay);
  torch::optim::AdamW optimiser(groups);

  TrainedHead best;
  best.pooling = s.pooling;
  torch::Generator gen = at::detail::createCPUGenerator(s.seed);
  const int64_t steps_per_epoch = (images + s.batch - 1) / s.batch;
  const int64_t total_steps = steps_per_epoch * s.epochs;
  int64_t step = 0;
  for (int epoch = 1; epoch <= s.epochs && !stop; ++epoch) {
    auto started = std::chrono::steady_clock::now();
    auto order = torch::randperm(images, gen);
    auto view = torch::randint(0, train.views, {images}, gen);
    double loss_sum = 0;
    int64_t batches = 0;
    for (int64_t i = 0; i < images && !stop; i += s.batch, ++step) {
      // Cosine decay from the base rates to zero over all steps.
      double scale = 0.5 * (1 + std::cos(M_PI * step / total_steps));
      static_cast<torch::optim::AdamWOptions&>(optimiser.param_groups()[0].options())
          .lr(s.head_lr * scale);
      static_cast<torch::optim::AdamWOptions&>(optimiser.param_groups()[1].options())
          .lr(s.tail_lr * scale);
      auto idx = order.narrow(0, i, std::min<int64_t>(s.batch, images - i));
      auto rows = idx * train.views + view.index_select(0, idx);
      auto front = train.features.index_select(0, rows);
      auto target = train.labels.index_select(0, idx);
      if (s.flip_features) {
        auto flip = torch::rand({front.size(0)}, gen).lt(0.5).view({-1, 1, 1, 1});
        front = torch::where(flip, front.flip({3}), front);
      }
      auto out = logits(backbone, front, w, b, s.pooling, s.dropout);
      auto loss = torch::nn::functional::cross_entropy(
          out, target,
          torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(s.label_smoothing));
      optimiser.zero_grad();
      loss.backward();
      optimiser.step();
      loss_sum += loss.item<double>();
      ++batches;
      if (progress) {
        EpochReport r{epoch, s.epochs, loss_sum / batches, best.best_val_accuracy, 0, false};
        progress(r, static_cast<double>(i + idx.size(0)) / images);
      }
    }
    if (stop && batches < steps_per_epoch) {
      best.interrupted = true;
      break;
    }
    EpochReport r;
    r.epoch = epoch;
    r.epochs = s.epochs;
    r.loss = loss_sum / std::max<int64_t>(1, batches);
    r.val_accuracy = accuracy(backbone, val, w, b, s.pooling);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // Ties go to the later epoch: as good on validation, and trained longer.
    if (!best.weight.defined() || r.val_accuracy >= best.best_val_accuracy) {
      best.weight = w.detach().clone();
      best.bias = b.detach().clone();
      best.tail = backbone.tail_weights();
      best.best_epoch = epoch;
      best.best_val_accuracy = r.val_accuracy;
      r.best = true;
    }
    if (progress) progress(r, 1.0);
  }
  best.interrupted = best.interrupted || stop;
  if (!best.weight.defined()) {  // stopped before the first epoch ended
    best.weight = w.detach().clone();
    best.bias = b.detach().clone();
    best.tail = backbone.tail_weights();
  }
  backbone.load_tail_weights(best.tail);
  return best;
}

torch::Tensor predict_logits(Backbone& backbone, const TrainedHead& head,
                             const FeatureCache& cache) {
  torch::NoGradGuard no_grad;
  backbone.load_tail_weights(head.tail);
  torch::Tensor front = clean_views(cache);
  std::vector<torch::Tensor> parts;
  for (int64_t i = 0; i < front.size(0); i += 128)
    parts.push_back(logits(backbone, front.narrow(0, i, std::min<int64_t>(128, front.size(0) - i)),
                           head.weight, head.bias, head.pooling));
  return torch::cat(parts);
}

torch::Tensor predict(Backbone& backbone, const TrainedHead& head, const FeatureCache& cache) {
  return torch::softmax(predict_logits(backbone, head, cache), 1);
}

double fit_temperature(const torch::Tensor& logits, const torch::Tensor& labels) {
  torch::NoGradGuard no_grad;
  auto nll = [&](double log_t) {
    return torch::nn::functional::cross_entropy(logits / std::exp(log_t), labels).item<double>();
  };
  // The loss is convex in 1/T: a golden-section search over log T finds it.
  double lo = std::log(0.05), hi = std::log(20.0);
  const double phi = (std::sqrt(5.0) - 1) / 2;
  double a = hi - phi * (hi - lo), b = lo + phi * (hi - lo);
  double fa = nll(a), fb = nll(b);
  for (int i = 0; i < 60; ++i) {
    if (fa < fb) {
      hi = b, b = a, fb = fa;
      a = hi - phi * (hi - lo), fa = nll(a);
    } else {
      lo = a, a = b, fa = fb;
      b = lo + phi * (hi - lo), fb = nll(b);
    }
  }
  return std::exp((lo + hi) / 2);
}

}  // namespace ce
