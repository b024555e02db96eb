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
  // and, for what it cannot run, the operator and its tensor. With
  // `stop_at`, a tensor of the file, only the operators up to the one that
  // computes it run, and run() returns it: the frozen front of a package
  // whose fine-tuned tail runs elsewhere.
  explicit IntegerNetwork(const std::string& path, int threads = 1, PixelMapping pixels = {},
                          const std::string& stop_at = "");
  ~IntegerNetwork();
  IntegerNetwork(IntegerNetwork&&) noexcept;
  IntegerNetwork& operator=(IntegerNetwork&&) noexcept;

  int input_width() const;
  int input_height() const;
  // What run() returns, NHWC as the file stores it.
  std::vector<int> output_shape() const;
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
