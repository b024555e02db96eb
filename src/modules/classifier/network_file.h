// A network file made ready for OpenCV's DNN module. Some exports need work
// before OpenCV accepts them; it is done in memory, so the file on disk stays
// exactly as its author exported it.
#pragma once

#include <map>
#include <opencv2/dnn.hpp>
#include <string>
#include <vector>

namespace ce {

struct NetworkFile {
  std::string path;
  std::string format;                           // "tensorflow", "onnx" or "tflite"
  std::string bytes;                            // what OpenCV reads (ONNX but for "tensorflow")
  int input_width = 0, input_height = 0;        // from the graph's input; 0 when it does not say
  std::vector<std::string> fixes;               // what was changed, for the log
  std::map<std::string, std::string> metadata;  // ONNX metadata_props
  // "tflite": the ONNX value that holds each computed TFLite tensor, so a
  // cut made in the float graph can be made in the file for the integer engine.
  std::map<std::string, std::string> tflite_tensors;
};

// Custom Vision's TensorFlow exports compute part of their input
// normalisation from constants at run time, which OpenCV's importer refuses
// ("More than one input is Const op"): such nodes are folded into constants.
NetworkFile prepare_tensorflow(const std::string& path);

// ONNX exports may end in non-tensor outputs (a ZipMap from label to score,
// a string label), which OpenCV refuses: the tensor feeding the ZipMap
// becomes the output. Float16 weights and inputs are widened to float32.
NetworkFile prepare_onnx(const std::string& path);

// TensorFlow Lite flatbuffers (.tflite), quantized or float, become the
// float ONNX graph they stand for (format "tflite", bytes ONNX). An operator
// the classifier cannot run is an error naming it and its tensor. The input
// tensor's quantization is kept in metadata: "tflite.inputScale",
// "tflite.inputMean" (in pixel values), "tflite.inputType".
NetworkFile prepare_tflite(const std::string& path);
// Only the input's size and metadata, without converting the graph.
NetworkFile tflite_input(const std::string& path);

// By extension: .pb is TensorFlow, .onnx is ONNX, .tflite is TensorFlow
// Lite. Throws naming the file.
NetworkFile prepare_network(const std::string& path);
cv::dnn::Net read_network(const NetworkFile& file);

}  // namespace ce
