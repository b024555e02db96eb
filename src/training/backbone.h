// A pretrained ONNX or TensorFlow Lite classifier cut in three: a frozen front run by OpenCV
// (fast, and its outputs can be cached), a tail fine-tuned with libtorch,
// and the old classification head, which is dropped. The cut points are
// found in the graph: the embedding is the input of the last Conv or Gemm
// (the old head), the tail is the last `tail_convs` convolutions before it.
#pragma once

#include <onnx/onnx_pb.h>
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace ce {

// A float32 ONNX initializer (raw or listed data) as a torch tensor.
torch::Tensor tensor_of_initializer(const onnx::TensorProto& t);

class Backbone {
 public:
  // Throws naming the file and, for a graph it cannot cut or run, the node.
  Backbone(const std::string& onnx_file, int tail_convs);

  const std::string& file() const { return file_; }
  const std::string& front_output() const { return front_output_; }  // cached features
  // A TensorFlow Lite file's tensor at the cut: its front can run on the
  // integer engine. Empty for ONNX, or when the whole network trains.
  const std::string& front_tensor() const { return front_tensor_; }
  const std::string& input_name() const { return input_name_; }
  const std::string& embedding() const { return embedding_; }
  int input_width() const { return input_width_; }
  int input_height() const { return input_height_; }
  // The network file's metadata (a TFLite input's quantization, ONNX props).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // The ONNX model with float16 widened; OpenCV runs its front.
  const std::string& model_bytes() const { return bytes_; }

  // The tail: front output -> embedding (N, C, H, W). Its weights train.
  torch::Tensor tail(const torch::Tensor& front) const;
  std::vector<torch::Tensor> tail_parameters() const;
  // The tail's weights as ONNX initializer name -> tensor, for the export.
  std::map<std::string, torch::Tensor> tail_weights() const;
  void load_tail_weights(const std::map<std::string, torch::Tensor>& weights);

  // The graph up to the embedding, with the tail's weights, for the export.
  onnx::ModelProto graph_to_embedding() const;
  // Only the tail, front output -> embedding, with its weights: what a
  // package runs after a front run elsewhere (the integer engine).
  onnx::ModelProto graph_from_front() const;

 private:
  std::string file_, bytes_, input_name_, front_output_, front_tensor_, embedding_;
  int input_width_ = 0, input_height_ = 0;
  std::map<std::string, std::string> metadata_;
  onnx::ModelProto model_;
  std::vector<onnx::NodeProto> tail_nodes_;
  std::map<std::string, torch::Tensor> params_;  // by initializer name
};

}  // namespace ce
