#include "training/feature_cache.h"

#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "modules/classifier/model.h"
#include "modules/classifier/preprocess.h"

namespace ce {

cv::Mat random_view(const cv::Mat& img, int width, int height, std::mt19937& rng) {
  std::uniform_real_distribution<double> unit(0, 1);
  int shorter = std::min(img.cols, img.rows);
  int side = std::max(8, static_cast<int>(shorter * (0.55 + 0.45 * unit(rng))));
  int x = static_cast<int>((img.cols - side) * unit(rng));
  int y = static_cast<int>((img.rows - side) * unit(rng));
  cv::Mat view;
  cv::resize(img(cv::Rect(x, y, side, side)), view, cv::Size(width, height), 0, 0, cv::INTER_AREA);
  if (unit(rng) < 0.5) cv::flip(view, view, 1);
  double contrast = 0.8 + 0.4 * unit(rng), brightness = -20 + 40 * unit(rng);
  view.convertTo(view, -1, contrast, brightness);
  return view;
}

FeatureCache extract_features(const Backbone& backbone, const Preprocessing& pre, Dataset& data,
                              int views, uint32_t seed,
                              const std::function<void(size_t, size_t)>& progress) {
  cv::dnn::Net net =
      cv::dnn::readNetFromONNX(backbone.model_bytes().data(), backbone.model_bytes().size());
  // A front that is the input itself (the whole network trains): the
  // preprocessed image is the feature.
  const bool whole = backbone.front_output() == backbone.input_name();
  const std::string layer = whole ? "" : opencv_layer_of(net, backbone.front_output());
  // The network is fully convolutional up to its pooling: it takes other
  // sizes than the one it was trained at, which the preprocessing may ask for.
  const int w = pre.input_width ? pre.input_width : backbone.input_width();
  const int h = pre.input_height ? pre.input_height : backbone.input_height();
  FeatureCache cache;
  cache.views = views;
  std::vector<float> storage;
  std::vector<int64_t> labels;
  std::vector<int64_t> shape;
  const int batch = 8;
  std::vector<cv::Mat> pending;
  auto flush = [&] {
    if (pending.empty()) return;
    cv::Mat out =
        cv::dnn::blobFromImages(pending, pre.scale, cv::Size(w, h), pre.mean, pre.rgb, false);
    if (!whole) {
      net.setInput(out);
      out = net.forward(layer);
    }
    if (shape.empty()) {
      shape = {out.size[1], out.size[2], out.size[3]};
      // Gigabytes: growing by doubling would need half as much again at a copy.
      storage.reserve(data.samples.size() * views * out.total() / out.size[0]);
    }
    storage.insert(storage.end(), out.ptr<float>(), out.ptr<float>() + out.total());
    pending.clear();
  };
  for (size_t i = 0; i < data.samples.size(); ++i) {
    const auto& s = data.samples[i];
    cv::Mat img = cv::imread(s.path, cv::IMREAD_COLOR);
    if (img.empty()) {
      data.skipped.push_back(s.path + ": not a readable image");
      continue;
    }
    std::mt19937 rng(seed * 1000003u + static_cast<uint32_t>(i));  // per image: order-free
    pending.push_back(crop_for_network(img, pre, w, h).clone());
    for (int v = 1; v < views; ++v) pending.push_back(random_view(img, w, h, rng));
    cache.kept.push_back(static_cast<int>(i));
    labels.push_back(s.tag);
    if (pending.size() >= static_cast<size_t>(batch)) flush();
    if (progress) progress(i + 1, data.samples.size());
  }
  flush();
  if (labels.empty()) throw std::runtime_error(data.source + ": none of the images is readable");
  int64_t per = shape[0] * shape[1] * shape[2];
  // The tensor takes the buffer over: no second copy of gigabytes.
  auto* owned = new std::vector<float>(std::move(storage));
  cache.features = torch::from_blob(
      owned->data(), {static_cast<int64_t>(owned->size() / per), shape[0], shape[1], shape[2]},
      [owned](void*) { delete owned; }, torch::kFloat32);
  cache.labels = torch::tensor(labels, torch::kInt64);
  return cache;
}

}  // namespace ce
