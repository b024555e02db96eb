// An image classification model run by OpenCV's DNN module, with the
// preprocessing it was trained with.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <string>
#include <vector>

namespace ce {

struct Prediction {
  std::string tag_name;
  int tag_id = 0;
  float probability = 0;
};

struct Preprocessing {
  int input_width = 224, input_height = 224;
  int resize_shorter = 256;  // then centre-crop to the input size (Custom Vision's way)
  cv::Scalar mean{0, 0, 0};  // subtracted, in the model's channel order
  double scale = 1.0;
  bool swap_rb = false;  // false: the model takes BGR, as OpenCV decodes
  bool softmax = false;  // apply softmax to the raw output
};

class Model {
 public:
  // From a model description: {"file", "labels", "inputWidth", "inputHeight",
  // "resizeShorter", "mean", "scale", "swapRB", "softmax", "version"}.
  // Throws naming the file or field that is wrong.
  static Model load(const nlohmann::json& description);

  std::vector<Prediction> classify(const cv::Mat& bgr);  // highest first; thread-safe
  const std::vector<std::string>& labels() const { return labels_; }
  const std::string& version() const { return version_; }
  const std::string& file() const { return file_; }

 private:
  cv::dnn::Net net_;
  std::vector<std::string> labels_;
  Preprocessing pre_;
  std::string file_, version_;
  std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
};

std::vector<std::string> read_labels(const std::string& path);
cv::Mat centre_crop(const cv::Mat& bgr, int resize_shorter, int width, int height);

}  // namespace ce
