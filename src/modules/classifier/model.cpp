#include "modules/classifier/model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <regex>

#include "modules/classifier/network_file.h"
#include "modules/classifier/preprocess.h"
#include "modules/classifier/risk_curve.h"

namespace ce {

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the labels file");
  std::vector<std::string> labels;
  std::string line;
  static const std::regex indexed(R"(^(\d+),(.*)$)");
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    // Some label files number their lines ("954,banana"); keep just the name.
    std::smatch m;
    if (std::regex_match(line, m, indexed) && std::stoul(m[1]) == labels.size()) line = m[2];
    labels.push_back(line);
  }
  if (labels.empty()) throw std::runtime_error(path + ": the labels file is empty");
  return labels;
}

std::string opencv_layer_of(cv::dnn::Net& net, const std::string& tensor) {
  for (const auto& name : net.getLayerNames()) {
    auto bang = name.rfind('!');
    if (name == tensor || (bang != std::string::npos && name.substr(bang + 1) == tensor))
      return name;
  }
  std::string last;
  auto names = net.getLayerNames();
  for (size_t i = names.size() > 4 ? names.size() - 4 : 0; i < names.size(); ++i)
    last += (last.empty() ? "" : ", ") + names[i];
  throw std::runtime_error("OpenCV has no layer computing '" + tensor +
                           "' (it may have merged it into a neighbour; its last layers are " +
                           last + ")");
}

PixelMapping pixel_mapping(const cv::Scalar& mean, double scale) {
  return {{static_cast<float>(mean[0]), static_cast<float>(mean[1]), static_cast<float>(mean[2])},
          static_cast<float>(scale)};
}

Model Model::load(const nlohmann::json& description, int instances) {
  Model m;
  m.package_ = ModelPackage::resolve(description);
  m.labels_ = read_labels(m.package_.labels_file);
  if (const auto& info = m.package_.info;
      info.contains("calibration") && info["calibration"].contains("riskCoverage")) {
    try {
      m.risk_curve_ = risk_curve_from_json(info["calibration"]["riskCoverage"]);
      m.thresholds_at_risk_ = ce::thresholds_at_risk(m.risk_curve_);
    } catch (const std::exception& e) {
      throw std::runtime_error("model package " + m.package_.dir + ": calibration: " + e.what());
    }
  }
  const auto& fronts = m.package_.fronts;
  if (!fronts.empty() && m.package_.engine != "integer")
    throw std::runtime_error("model package " + m.package_.dir +
                             ": its backbones run on the integer engine only (it was trained "
                             "on their integer outputs); leave out engine, or train again with "
                             "--engine float");
  m.integer_ = m.package_.engine == "integer" &&
               std::filesystem::path(m.package_.model_file).extension() == ".tflite";
  NetworkFile network =
      m.integer_ ? tflite_input(m.package_.model_file) : prepare_network(m.package_.model_file);
  m.fixes_ = network.fixes;
  const auto& pre = m.package_.preprocessing;
  m.width_ = pre.input_width ? pre.input_width : network.input_width;
  m.height_ = pre.input_height ? pre.input_height : network.input_height;
  if (m.width_ <= 0 || m.height_ <= 0)
    throw std::runtime_error(m.package_.model_file +
                             ": the network does not say its input size; set inputWidth and "
                             "inputHeight in the model description");
  const PixelMapping pixels = pixel_mapping(pre.mean, pre.scale);
  for (int i = 0; i < std::max(1, instances); ++i) {
    m.instances_.push_back(std::make_unique<Instance>());
    if (m.integer_)
      m.instances_.back()->integer = std::make_unique<IntegerNetwork>(
          m.package_.model_file, std::max(1, cv::getNumThreads()), pixels);
    else
      m.instances_.back()->net = read_network(network);
    // Several fronts run at once, one thread each, on OpenCV's threads: a
    // second pool of threads beside OpenCV's would spin against it.
    const int threads =
        std::max(1, cv::getNumThreads() / std::max(1, static_cast<int>(fronts.size())));
    for (const auto& f : fronts) {
      auto& front = m.instances_.back()->fronts.emplace_back(
          f.file, threads, pixel_mapping(f.mean, f.scale), f.tensor);
      if (front.input_width() != m.width_ || front.input_height() != m.height_)
        throw std::runtime_error(f.file + ": takes " + std::to_string(front.input_width()) + "x" +
                                 std::to_string(front.input_height()) + " pixels, the package " +
                                 std::to_string(m.width_) + "x" + std::to_string(m.height_));
    }
  }
  if (m.integer_) {
    m.embedding_layer_ = m.package_.embedding_output;  // a tensor of the file
  } else if (!m.package_.embedding_output.empty()) {
    cv::dnn::Net& net = m.instances_.front()->net;
    m.embedding_layer_ = opencv_layer_of(net, m.package_.embedding_output);
    m.output_layer_ = net.getUnconnectedOutLayersNames().front();
  }
  // Run each copy once so that the first real frame does not pay for
  // allocation, and so a model whose output does not match its labels fails
  // now, not at the first scan.
  cv::Mat probe(m.height_, m.width_, CV_8UC3, cv::Scalar(128, 128, 128));
  std::vector<float> embedding;
  for (size_t i = 0; i < m.instances_.size(); ++i) m.classify(probe, &embedding);
  m.embedding_size_ = embedding.size();
  return m;
}

cv::Mat Model::decode(std::string_view bytes) const {
  return decode_image(bytes, package_.preprocessing.exif_orientation);
}

std::string Model::embedding_identity() const {
  return version() + " (" + package_.created + ") " + package_.embedding_output;
}

std::vector<Prediction> Model::classify(const cv::Mat& bgr, std::vector<float>* embedding) const {
  const auto& pre = package_.preprocessing;
  cv::Mat crop = crop_for_network(bgr, pre, width_, height_), blob, pixels;
  const bool fronted = !package_.fronts.empty();
  if (!integer_ && !fronted)
    blob = blob_for_network(crop, pre);
  else if (pre.rgb)
    cv::cvtColor(crop, pixels, cv::COLOR_BGR2RGB);  // a new, contiguous picture
  else
    pixels = crop.clone();  // the crop is a view of the photo: its rows are not contiguous
  // A free copy of the network if there is one, else wait for the next in turn.
  Instance* instance = nullptr;
  std::unique_lock<std::mutex> lock;
  for (auto& candidate : instances_) {
    lock = std::unique_lock(candidate->mutex, std::try_to_lock);
    if (lock.owns_lock()) {
      instance = candidate.get();
      break;
    }
  }
  if (!instance) {
    instance = instances_[(*next_)++ % instances_.size()].get();
    lock = std::unique_lock(instance->mutex);
  }
  if (fronted) {
    auto& fronts = instance->fronts;
    std::vector<std::vector<float>> values(fronts.size());
    if (fronts.size() == 1)
      values[0] = fronts[0].run(pixels.data);
    else
      cv::parallel_for_(cv::Range(0, static_cast<int>(fronts.size())), [&](const cv::Range& r) {
        for (int k = r.start; k < r.end; ++k) values[k] = fronts[k].run(pixels.data);
      });
    for (size_t k = 0; k < fronts.size(); ++k) {
      std::vector<int> shape = fronts[k].output_shape();
      const int h = shape.size() == 4 ? shape[1] : 1, w = shape.size() == 4 ? shape[2] : 1;
      cv::Mat nhwc(h * w, shape.back(), CV_32F, values[k].data());
      cv::Mat chw = nhwc.t();  // channels first, as the tails take them
      int dims[] = {1, shape.back(), h, w};
      instance->net.setInput(cv::Mat(4, dims, CV_32F, chw.data).clone(), package_.fronts[k].input);
    }
  } else if (!integer_) {
    instance->net.setInput(blob);
  }
  cv::Mat out;
  if (integer_) {
    std::vector<float> values = instance->integer->run(pixels.data);
    out = cv::Mat(values, true);
    if (embedding && !embedding_layer_.empty())
      *embedding = instance->integer->values_of(embedding_layer_);
    else if (embedding)
      embedding->clear();
  } else if (embedding && !embedding_layer_.empty()) {
    std::vector<cv::Mat> outs;
    instance->net.forward(outs, std::vector<std::string>{output_layer_, embedding_layer_});
    out = outs[0].clone();
    cv::Mat e = outs[1].reshape(1, 1);
    embedding->assign(e.begin<float>(), e.end<float>());
  } else {
    out = instance->net.forward().clone();
    if (embedding) embedding->clear();
  }
  lock.unlock();

  out = out.reshape(1, 1);
  if (static_cast<size_t>(out.cols) != labels_.size())
    throw std::runtime_error(file() + ": the model has " + std::to_string(out.cols) +
                             " outputs but the labels file has " + std::to_string(labels_.size()) +
                             " tags");
  std::vector<float> scores(out.begin<float>(), out.end<float>());
  if (pre.softmax) {
    float mx = *std::max_element(scores.begin(), scores.end());
    double sum = 0;
    for (auto& s : scores) sum += (s = std::exp(s - mx));
    for (auto& s : scores) s = static_cast<float>(s / sum);
  }
  std::vector<Prediction> preds(scores.size());
  for (size_t i = 0; i < scores.size(); ++i)
    preds[i] = {labels_[i], static_cast<int>(i), scores[i]};
  std::stable_sort(preds.begin(), preds.end(),
                   [](auto& a, auto& b) { return a.probability > b.probability; });
  return preds;
}

nlohmann::json Model::describe() const {
  const bool fronted = !package_.fronts.empty();
  return {{"model", file()},
          {"modelVersion", version()},
          {"name", package_.name},
          {"iteration", package_.iteration},
          {"created", package_.created},
          {"tags", labels_.size()},
          {"inputWidth", width_},
          {"inputHeight", height_},
          {"preprocessing", package_.preprocessing.to_json()},
          {"engine", integer_  ? "integer (XNNPACK)"
                     : fronted ? "integer fronts (XNNPACK), tails on OpenCV DNN"
                               : "float (OpenCV DNN)"},
          {"loadFixes", fixes_}};
}

}  // namespace ce
