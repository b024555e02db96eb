// What the classifier needs to know about a model: the network file, its
// labels, the preprocessing it was trained with, and which iteration it is.
//
// A model package is a folder with package.json (written by `checkout-edge
// train`); a Custom Vision export is a folder with model.pb or model.onnx and
// labels.txt, and gets Custom Vision's preprocessing.
#pragma once

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>

namespace ce {

struct Preprocessing {
  bool exif_orientation = true;
  // "custom-vision": centre square, resized to resize_to x resize_to, then the
  //   centre input_width x input_height (what the exported container does);
  // "shorter-side": shorter side to resize_to, then the centre crop;
  // "stretch": the whole image resized to the input size.
  std::string resize = "custom-vision";
  int resize_to = 256;
  int input_width = 0, input_height = 0;  // 0: as the network's input says
  bool rgb = false;                       // false: BGR, as OpenCV decodes
  cv::Scalar mean{0, 0, 0};               // subtracted, in the network's channel order
  double scale = 1.0;                     // multiplies after the mean is subtracted
  bool softmax = false;                   // the network outputs logits

  static Preprocessing from_json(const nlohmann::json& j, Preprocessing defaults);
  nlohmann::json to_json() const;
};

// A package's backbone front: a TensorFlow Lite file run on the integer
// engine up to `tensor`, whose maps feed model.onnx's input `input`.
struct NetworkFront {
  std::string file, tensor, input;
  cv::Scalar mean{127.5, 127.5, 127.5};  // the pixel mapping, RGB
  double scale = 1 / 127.5;
};

struct ModelPackage {
  std::string dir;  // empty when described by a model file
  std::string name;
  std::string model_file, labels_file;
  int iteration = 0;
  std::string created;  // ISO 8601, from the package
  std::string version;  // what the classifier reports as serving
  Preprocessing preprocessing;
  // The tensor whose values are the photo's embedding (a package's
  // "features"; `embeddingOutput` in a description names another model's):
  // the lane's memory compares photos by it. Empty: the model has none.
  std::string embedding_output;
  // TensorFlow Lite files: "integer" runs them as quantized (XNNPACK),
  // "float" as the dequantized reference graph (OpenCV). Other formats
  // always run on OpenCV.
  std::string engine = "integer";
  // A package trained on integer fronts: the crop (RGB pixels) goes to each
  // front, and their outputs to model.onnx, which holds only tails and head.
  std::vector<NetworkFront> fronts;
  nlohmann::json info = nlohmann::json::object();  // package.json as read

  // `description` is a path (package folder, package.json, or model file) or
  // an object {"package": ...} or {"file": ..., "labels": ...} whose other
  // fields override the package's preprocessing. Throws naming what is wrong.
  static ModelPackage resolve(const nlohmann::json& description);
};

}  // namespace ce
