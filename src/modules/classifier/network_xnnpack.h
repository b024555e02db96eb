// A TensorFlow Lite file run as its authors quantized it: integer kernels
// (XNNPACK's, the ones TensorFlow Lite itself runs on x86 and Arm), no
// float copy. Beside network_tflite, which turns the same file into a float
// ONNX graph for OpenCV and training; that path stays the reference.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ce {

// The real value each pixel (0-255) stands for, per channel in the
// network's order: (pixel - mean) x scale. MobileNets': x/127.5 - 1.
struct PixelMapping {
  std::array<float, 3> mean{127.5f, 127.5f, 127.5f};
  float scale = 1 / 127.5f;
};

class IntegerNetwork {
 public:
  // Reads and prepares `path` for `threads` threads. Throws naming the file
  // and, for what it cannot run, the operator and its tensor.
  explicit IntegerNetwork(const std::string& path, int threads = 1, PixelMapping pixels = {});
  ~IntegerNetwork();
  IntegerNetwork(IntegerNetwork&&) noexcept;
  IntegerNetwork& operator=(IntegerNetwork&&) noexcept;

  int input_width() const;
  int input_height() const;
  // Pixels (0-255) in the network's channel order, input_height x
  // input_width x 3, rows first, mapped as `pixels` says. Returns the graph's first output,
  // dequantized. Not thread-safe: one network per thread that runs it.
  std::vector<float> run(const uint8_t* pixels);
  // A tensor of the last run by its name in the file (the pooled features,
  // say), dequantized; throws when the graph has no such tensor.
  std::vector<float> values_of(const std::string& tensor) const;
  // The operators, in order, as "CONV_2D (qc8)": what the engine runs.
  std::vector<std::string> plan() const;

 private:
  struct Graph;
  std::unique_ptr<Graph> graph_;
};

}  // namespace ce
