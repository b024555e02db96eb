// An image classification model run by OpenCV's DNN module, with the
// preprocessing it was trained with.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "modules/classifier/model_package.h"
#include "modules/classifier/network_xnnpack.h"
#include "modules/classifier/risk_curve.h"

namespace ce {

struct Prediction {
  std::string tag_name;
  int tag_id = 0;
  float probability = 0;
};

class Model {
 public:
  // `description` as ModelPackage::resolve takes it. `instances` copies of
  // the network serve that many requests at once. Throws naming the file or
  // field that is wrong.
  static Model load(const nlohmann::json& description, int instances = 1);

  // Highest first; thread-safe. With `embedding`, also the photo's
  // embedding (empty when the model has none).
  std::vector<Prediction> classify(const cv::Mat& bgr,
                                   std::vector<float>* embedding = nullptr) const;
  // How many values an embedding has; 0: the model gives none, and the
  // lane's memory cannot be used with it.
  size_t embedding_size() const { return embedding_size_; }
  // Which embedding a memory was made with: a memory of another package
  // (or another training of the same name) is not this one's.
  std::string embedding_identity() const;
  // Image bytes decoded as this model expects (EXIF orientation or not);
  // empty when they are not a readable image.
  cv::Mat decode(std::string_view bytes) const;

  const ModelPackage& package() const { return package_; }
  const std::vector<std::string>& labels() const { return labels_; }
  const std::string& version() const { return package_.version; }
  const std::string& file() const { return package_.model_file; }
  int input_width() const { return width_; }
  int input_height() const { return height_; }
  // {"0.01": threshold, ...} from the package's calibrated risk-coverage
  // curve (measured on photos training held out); empty without one.
  const nlohmann::json& thresholds_at_risk() const { return thresholds_at_risk_; }
  const std::vector<RiskPoint>& risk_curve() const { return risk_curve_; }
  // What the classifier reports: file, version, iteration, tags, fixes.
  nlohmann::json describe() const;

 private:
  struct Instance {
    cv::dnn::Net net;
    std::unique_ptr<IntegerNetwork> integer;  // a TensorFlow Lite file, run as quantized
    std::vector<IntegerNetwork> fronts;       // a package's, before `net` runs the tails
    std::mutex mutex;
  };
  ModelPackage package_;
  std::vector<std::string> labels_, fixes_;
  nlohmann::json thresholds_at_risk_ = nlohmann::json::object();
  std::vector<RiskPoint> risk_curve_;
  int width_ = 0, height_ = 0;
  std::string embedding_layer_, output_layer_;
  bool integer_ = false;
  size_t embedding_size_ = 0;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::unique_ptr<std::atomic<size_t>> next_ = std::make_unique<std::atomic<size_t>>(0);
};

std::vector<std::string> read_labels(const std::string& path);

// How the integer engine maps pixels for a network fed (pixel - mean) x scale.
PixelMapping pixel_mapping(const cv::Scalar& mean, double scale);

// The name OpenCV gave the layer that computes an ONNX tensor (it prefixes
// node names); throws when there is none.
std::string opencv_layer_of(cv::dnn::Net& net, const std::string& tensor);

}  // namespace ce
