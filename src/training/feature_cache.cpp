#include "training/feature_cache.h"

#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "modules/classifier/model.h"
#include "modules/classifier/preprocess.h"

namespace ce {

cv::Mat random_view(const cv::Mat& img, int width, int height, std::mt19937& rng,
                    bool other_light_and_camera) {
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
  if (other_light_and_camera) change_light_and_camera(view, rng);
  return view;
}

void change_light_and_camera(cv::Mat& view, std::mt19937& rng) {
  std::uniform_real_distribution<double> unit(0, 1);
  cv::Mat f;
  view.convertTo(f, CV_32F);
  // Warmer or colder light, another white balance: the channels' gains move
  // against each other (blue against red, green on its own).
  const double warmth = -0.12 + 0.24 * unit(rng), tint = -0.06 + 0.12 * unit(rng);
  cv::multiply(f, cv::Scalar(1 - warmth, 1 + tint, 1 + warmth), f);
  // A camera that renders colours more or less vividly.
  const double saturation = 0.7 + 0.6 * unit(rng);
  cv::Mat gray;
  cv::cvtColor(f, gray, cv::COLOR_BGR2GRAY);
  cv::cvtColor(gray, gray, cv::COLOR_GRAY2BGR);
  cv::addWeighted(f, saturation, gray, 1 - saturation, 0, f);
  f.convertTo(view, CV_8U);
  // A lens out of focus, or a cheaper camera's compression.
  if (unit(rng) < 0.3) cv::GaussianBlur(view, view, cv::Size(), 0.5 + unit(rng));
  if (unit(rng) < 0.3) {
    std::vector<uchar> jpeg;
    cv::imencode(".jpg", view, jpeg,
                 {cv::IMWRITE_JPEG_QUALITY, 30 + static_cast<int>(50 * unit(rng))});
    view = cv::imdecode(jpeg, cv::IMREAD_COLOR);
  }
}

void append_as_nchw(const std::vector<float>& nhwc, const std::vector<int>& shape,
                    std::vector<float>& out) {
  // A pooled front may be [1, C] (SQUEEZE): one pixel.
  const size_t h = shape.size() == 4 ? shape[1] : 1, w = shape.size() == 4 ? shape[2] : 1;
  const size_t c = shape.back(), at = out.size();
  out.resize(at + h * w * c);
  for (size_t y = 0; y < h; ++y)
    for (size_t x = 0; x < w; ++x)
      for (size_t k = 0; k < c; ++k) out[at + (k * h + y) * w + x] = nhwc[(y * w + x) * c + k];
}

FeatureCache extract_features(const Backbone& backbone, const Preprocessing& pre, Dataset& data,
                              const Views& views, uint32_t seed,
                              const std::function<void(size_t, size_t)>& progress, bool integer) {
  // The network is fully convolutional up to its pooling: it takes other
  // sizes than the one it was trained at, which the preprocessing may ask for.
  const int w = pre.input_width ? pre.input_width : backbone.input_width();
  const int h = pre.input_height ? pre.input_height : backbone.input_height();
  std::unique_ptr<IntegerNetwork> front;
  if (integer) {
    if (backbone.front_tensor().empty())
      throw std::runtime_error(backbone.file() +
                               ": its front cannot run on the integer engine (not a TensorFlow "
                               "Lite file, or the whole network trains); give --engine float");
    front = std::make_unique<IntegerNetwork>(backbone.file(), std::max(1, cv::getNumThreads()),
                                             pixel_mapping(pre.mean, pre.scale),
                                             backbone.front_tensor());
    if (front->input_width() != w || front->input_height() != h)
      throw std::runtime_error(backbone.file() + ": the integer engine runs it at its own " +
                               std::to_string(front->input_width()) + "x" +
                               std::to_string(front->input_height()) +
                               " input; leave out --input-size, or give --engine float");
  }
  cv::dnn::Net net;
  if (!integer)
    net = cv::dnn::readNetFromONNX(backbone.model_bytes().data(), backbone.model_bytes().size());
  // A front that is the input itself (the whole network trains): the
  // preprocessed image is the feature.
  const bool whole = backbone.front_output() == backbone.input_name();
  const std::string layer = whole || integer ? "" : opencv_layer_of(net, backbone.front_output());
  FeatureCache cache;
  cache.views = views.count;
  std::vector<float> storage;
  std::vector<int64_t> labels;
  std::vector<int64_t> shape;
  const int batch = 8;
  std::vector<cv::Mat> pending;
  auto flush = [&] {
    if (pending.empty()) return;
    if (front) {
      const auto out_shape = front->output_shape();
      if (shape.empty()) {
        shape = {out_shape.back(), out_shape.size() == 4 ? out_shape[1] : 1,
                 out_shape.size() == 4 ? out_shape[2] : 1};
        storage.reserve(data.samples.size() * views.count * shape[0] * shape[1] * shape[2]);
      }
      cv::Mat pixels;
      for (const cv::Mat& view : pending) {
        if (pre.rgb)
          cv::cvtColor(view, pixels, cv::COLOR_BGR2RGB);
        else
          pixels = view.clone();  // contiguous
        append_as_nchw(front->run(pixels.data), out_shape, storage);
      }
      pending.clear();
      return;
    }
    cv::Mat out =
        cv::dnn::blobFromImages(pending, pre.scale, cv::Size(w, h), pre.mean, pre.rgb, false);
    if (!whole) {
      net.setInput(out);
      out = net.forward(layer);
    }
    if (shape.empty()) {
      shape = {out.size[1], out.size[2], out.size[3]};
      // Gigabytes: growing by doubling would need half as much again at a copy.
      storage.reserve(data.samples.size() * views.count * out.total() / out.size[0]);
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
    for (int v = 1; v < views.count; ++v)
      pending.push_back(random_view(img, w, h, rng, views.other_light_and_camera));
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
