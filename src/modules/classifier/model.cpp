#include "modules/classifier/model.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <opencv2/imgproc.hpp>
#include <regex>

#include "common/settings.h"

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

cv::Mat centre_crop(const cv::Mat& bgr, int resize_shorter, int width, int height) {
  cv::Mat img = bgr;
  int shorter = std::min(img.cols, img.rows);
  if (resize_shorter > 0 && shorter != resize_shorter) {
    double s = static_cast<double>(resize_shorter) / shorter;
    cv::resize(bgr, img, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  if (img.cols < width || img.rows < height) {
    double s =
        std::max(static_cast<double>(width) / img.cols, static_cast<double>(height) / img.rows);
    cv::resize(img, img, cv::Size(), s, s, cv::INTER_LINEAR);
  }
  return img(cv::Rect((img.cols - width) / 2, (img.rows - height) / 2, width, height));
}

Model Model::load(const nlohmann::json& d) {
  Model m;
  m.file_ = required_setting<std::string>(d, "file", "the model file (.onnx or .pb)");
  std::string labels =
      required_setting<std::string>(d, "labels", "the labels file, one tag a line");
  if (!std::filesystem::exists(m.file_))
    throw std::runtime_error("model file " + m.file_ + " does not exist");
  m.labels_ = read_labels(labels);
  m.version_ = setting<std::string>(d, "version", std::filesystem::path(m.file_).filename());
  auto& p = m.pre_;
  p.input_width = setting<int>(d, "inputWidth", 224);
  p.input_height = setting<int>(d, "inputHeight", p.input_width);
  p.resize_shorter = setting<int>(d, "resizeShorter", 256);
  auto mean = setting<std::vector<double>>(d, "mean", {0, 0, 0});
  if (mean.size() != 3) throw SettingError("model.mean must have 3 numbers, one per channel");
  p.mean = cv::Scalar(mean[0], mean[1], mean[2]);
  p.scale = setting<double>(d, "scale", 1.0);
  p.swap_rb = setting<bool>(d, "swapRB", false);
  p.softmax = setting<bool>(d, "softmax", false);
  try {
    m.net_ = cv::dnn::readNet(m.file_);
  } catch (const cv::Exception& e) {
    throw std::runtime_error("OpenCV cannot load model " + m.file_ + ": " + e.err);
  }
  // Run once so that the first real frame does not pay for allocation, and
  // so a model whose output does not match its labels fails now, not later.
  cv::Mat probe(p.input_height, p.input_width, CV_8UC3, cv::Scalar(128, 128, 128));
  auto out = m.classify(probe);
  if (out.empty()) throw std::runtime_error(m.file_ + ": the model produced no output");
  return m;
}

std::vector<Prediction> Model::classify(const cv::Mat& bgr) {
  cv::Mat crop = centre_crop(bgr, pre_.resize_shorter, pre_.input_width, pre_.input_height);
  cv::Mat blob =
      cv::dnn::blobFromImage(crop, pre_.scale, cv::Size(pre_.input_width, pre_.input_height),
                             pre_.mean, pre_.swap_rb, false);
  cv::Mat out;
  {
    std::lock_guard lock(*mutex_);
    net_.setInput(blob);
    out = net_.forward().clone();
  }
  out = out.reshape(1, 1);
  if (static_cast<size_t>(out.cols) != labels_.size())
    throw std::runtime_error(file_ + ": the model has " + std::to_string(out.cols) +
                             " outputs but the labels file has " + std::to_string(labels_.size()) +
                             " tags");
  std::vector<float> scores(out.begin<float>(), out.end<float>());
  if (pre_.softmax) {
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

}  // namespace ce
