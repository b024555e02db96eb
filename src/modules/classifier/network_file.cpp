#include "modules/classifier/network_file.h"

#include <stdexcept>

namespace ce {

NetworkFile prepare_network(const std::string& path) {
  auto dot = path.rfind('.');
  std::string ext = dot == std::string::npos ? "" : path.substr(dot);
  if (ext == ".pb") return prepare_tensorflow(path);
  if (ext == ".onnx") return prepare_onnx(path);
  if (ext == ".tflite") return prepare_tflite(path);
  throw std::runtime_error(path +
                           ": unknown model format; use an ONNX (.onnx), TensorFlow Lite "
                           "(.tflite) or a frozen TensorFlow graph (.pb) file");
}

cv::dnn::Net read_network(const NetworkFile& file) {
  try {
    if (file.format == "tensorflow")
      return cv::dnn::readNetFromTensorflow(file.bytes.data(), file.bytes.size());
    return cv::dnn::readNetFromONNX(file.bytes.data(), file.bytes.size());
  } catch (const cv::Exception& e) {
    throw std::runtime_error("OpenCV cannot load model " + file.path + ": " + e.err);
  }
}

}  // namespace ce
