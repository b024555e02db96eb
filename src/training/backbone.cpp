#include "training/backbone.h"

#include <set>
#include <stdexcept>

#include "modules/classifier/network_file.h"

namespace ce {

torch::Tensor tensor_of_initializer(const onnx::TensorProto& t) {
  if (t.data_type() != onnx::TensorProto::FLOAT)
    throw std::runtime_error("initializer " + t.name() + " is not float32");
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  if (!t.raw_data().empty())
    return torch::from_blob(const_cast<char*>(t.raw_data().data()), dims, torch::kFloat32).clone();
  std::vector<float> v(t.float_data().begin(), t.float_data().end());
  return torch::from_blob(v.data(), dims, torch::kFloat32).clone();
}

namespace {

const onnx::AttributeProto* attribute(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

std::vector<int64_t> ints(const onnx::NodeProto& n, const std::string& name,
                          std::vector<int64_t> fallback) {
  auto* a = attribute(n, name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : fallback;
}

int64_t int_of(const onnx::NodeProto& n, const std::string& name, int64_t fallback) {
  auto* a = attribute(n, name);
  return a ? a->i() : fallback;
}

std::string string_of(const onnx::NodeProto& n, const std::string& name) {
  auto* a = attribute(n, name);
  return a ? a->s() : "";
}

float float_of(const onnx::NodeProto& n, const std::string& name, float fallback) {
  auto* a = attribute(n, name);
  return a ? a->f() : fallback;
}

// ONNX pads are [begin..., end...]; torch pads symmetrically. TensorFlow's
// SAME (ONNX SAME_UPPER) puts the odd pixel at the end: that pixel is padded
// first, by hand, for the size actually fed.
std::vector<int64_t> symmetric_pads(const onnx::NodeProto& n) {
  auto p = ints(n, "pads", {0, 0, 0, 0});
  if (p.size() == 4 && (p[0] != p[2] || p[1] != p[3]))
    throw std::runtime_error("node " + n.name() + " pads unevenly; not supported in the tail");
  return {p[0], p.size() > 1 ? p[1] : p[0]};
}

torch::Tensor pad_same_upper(const torch::Tensor& x, const std::vector<int64_t>& kernel,
                             const std::vector<int64_t>& strides,
                             const std::vector<int64_t>& dilations, double value = 0) {
  std::vector<int64_t> pads;  // torch: last dimension first, begin then end
  for (int d = 1; d >= 0; --d) {
    int64_t in = x.size(2 + d), s = strides[d];
    int64_t out = (in + s - 1) / s;
    int64_t total = std::max<int64_t>(0, (out - 1) * s + (kernel[d] - 1) * dilations[d] + 1 - in);
    pads.push_back(total / 2);
    pads.push_back(total - total / 2);
  }
  return torch::constant_pad_nd(x, pads, value);
}

bool same_upper(const onnx::NodeProto& n) {
  std::string mode = string_of(n, "auto_pad");
  if (mode == "SAME_LOWER")
    throw std::runtime_error("node " + n.name() + " pads SAME_LOWER; not supported in the tail");
  return mode == "SAME_UPPER";
}

}  // namespace

Backbone::Backbone(const std::string& onnx_file, int tail_convs) : file_(onnx_file) {
  NetworkFile net = prepare_network(onnx_file);  // float16 widened, ZipMap cut, TFLite converted
  if (net.format == "tensorflow")
    throw std::runtime_error(onnx_file +
                             ": a TensorFlow graph cannot be fine-tuned; give an ONNX or "
                             "TensorFlow Lite backbone");
  bytes_ = net.bytes;
  metadata_ = net.metadata;
  input_width_ = net.input_width;
  input_height_ = net.input_height;
  if (!model_.ParseFromString(bytes_)) throw std::runtime_error(onnx_file + ": not ONNX");
  // OpenCV names a layer after its node (or a name of its own making).
  // Naming every node after its output lets us ask for a tensor by name.
  for (auto& n : *model_.mutable_graph()->mutable_node())
    if (n.output_size() > 0) n.set_name(n.output(0));
  bytes_ = model_.SerializeAsString();
  const auto& g = model_.graph();

  // The old head: the last Conv or Gemm. Its input (through Dropout) is the embedding.
  int head = -1;
  for (int i = 0; i < g.node_size(); ++i)
    if (g.node(i).op_type() == "Conv" || g.node(i).op_type() == "Gemm") head = i;
  if (head < 0) throw std::runtime_error(onnx_file + ": no Conv or Gemm layer to replace");
  // A feature extractor has no head: its last convolution is pooled into
  // the graph's output, and that pool is the embedding. A classifier (a
  // SqueezeNet's last convolution is pooled too) ends in a softmax.
  int pool = -1;
  bool softmax = false;
  for (int i = head + 1; i < g.node_size(); ++i) {
    if (g.node(i).op_type() == "GlobalAveragePool") pool = i;
    softmax |= g.node(i).op_type() == "Softmax" || g.node(i).op_type() == "LogSoftmax";
  }
  if (softmax) pool = -1;
  embedding_ = pool >= 0 ? g.node(pool).output(0) : g.node(head).input(0);
  int embedding_node = pool >= 0 ? pool : -1;
  for (int i = pool >= 0 ? -1 : head - 1; i >= 0; --i)
    if (g.node(i).output(0) == embedding_) {
      // Dropout does nothing at inference; a Flatten before a Gemm only
      // reshapes what the pooled maps already hold.
      const std::string& op = g.node(i).op_type();
      if (op == "Dropout" || op == "Flatten" || op == "Reshape") {
        embedding_ = g.node(i).input(0);
        continue;
      }
      embedding_node = i;
      break;
    }
  if (embedding_node < 0) throw std::runtime_error(onnx_file + ": cannot find the embedding layer");

  // The tail: from the input of the tail_convs-th last Conv before the head.
  std::vector<int> convs;
  for (int i = 0; i <= embedding_node; ++i)
    if (g.node(i).op_type() == "Conv") convs.push_back(i);
  if (tail_convs < 0 || tail_convs > static_cast<int>(convs.size()))
    throw std::runtime_error("cannot fine-tune " + std::to_string(tail_convs) + " layers of " +
                             onnx_file + ": it has " + std::to_string(convs.size()) +
                             " convolutions before its head");
  // All of them: the whole network trains from the image itself.
  int first = tail_convs == 0                                ? embedding_node + 1
              : tail_convs == static_cast<int>(convs.size()) ? 0
                                                             : convs[convs.size() - tail_convs];
  front_output_ = tail_convs == 0 ? embedding_ : g.node(first).input(0);
  if (auto t = net.tflite_tensors.find(front_output_);
      t != net.tflite_tensors.end() && front_output_ != g.input(0).name())
    front_tensor_ = t->second;

  std::map<std::string, const onnx::TensorProto*> initializers;
  for (const auto& t : g.initializer()) initializers[t.name()] = &t;
  for (const auto& v : g.input())
    if (!initializers.count(v.name())) {
      input_name_ = v.name();
      break;
    }
  std::set<std::string> known{front_output_};
  for (int i = first; i <= embedding_node; ++i) {
    const auto& n = g.node(i);
    for (const auto& in : n.input()) {
      if (known.count(in)) continue;
      auto it = initializers.find(in);
      if (it == initializers.end())
        throw std::runtime_error(onnx_file + ": node " + n.name() + " of the tail needs '" + in +
                                 "', computed before the cut; fine-tune fewer layers");
      params_[in] = tensor_of_initializer(*it->second).set_requires_grad(true);
      known.insert(in);
    }
    static const std::set<std::string> supported{
        "Conv",    "Relu", "Concat", "MaxPool", "AveragePool", "GlobalAveragePool",
        "Dropout", "Add",  "Clip",   "Mul",     "Sigmoid",     "BatchNormalization"};
    if (!supported.count(n.op_type()))
      throw std::runtime_error(onnx_file + ": the tail has a " + n.op_type() + " layer (" +
                               n.name() +
                               "), which fine-tuning does not support; fine-tune "
                               "fewer layers");
    for (const auto& out : n.output()) known.insert(out);
    tail_nodes_.push_back(n);
  }
}

torch::Tensor Backbone::tail(const torch::Tensor& front) const {
  std::map<std::string, torch::Tensor> values{{front_output_, front}};
  auto in = [&](const onnx::NodeProto& n, int i) -> torch::Tensor {
    const std::string& name = n.input(i);
    if (auto p = params_.find(name); p != params_.end()) return p->second;
    return values.at(name);
  };
  for (const auto& n : tail_nodes_) {
    const std::string& op = n.op_type();
    torch::Tensor out;
    if (op == "Conv") {
      auto strides = ints(n, "strides", {1, 1});
      auto dil = ints(n, "dilations", {1, 1});
      torch::Tensor w = in(n, 1), x = in(n, 0);
      std::vector<int64_t> pads{0, 0};
      if (same_upper(n))
        x = pad_same_upper(x, {w.size(2), w.size(3)}, strides, dil);
      else
        pads = symmetric_pads(n);
      out = torch::conv2d(x, w, n.input_size() > 2 ? in(n, 2) : torch::Tensor(), strides, pads, dil,
                          int_of(n, "group", 1));
    } else if (op == "Relu") {
      out = torch::relu(in(n, 0));
    } else if (op == "Clip") {
      // Attributes (opset < 11), else ReLU6, what classifiers use Clip for.
      out = torch::clamp(in(n, 0), float_of(n, "min", 0.f), float_of(n, "max", 6.f));
    } else if (op == "Mul") {
      out = in(n, 0) * in(n, 1);
    } else if (op == "Sigmoid") {
      out = torch::sigmoid(in(n, 0));
    } else if (op == "Concat") {
      std::vector<torch::Tensor> parts;
      for (int i = 0; i < n.input_size(); ++i) parts.push_back(in(n, i));
      out = torch::cat(parts, int_of(n, "axis", 1));
    } else if (op == "MaxPool") {
      auto kernel = ints(n, "kernel_shape", {2, 2}), strides = ints(n, "strides", {1, 1});
      torch::Tensor x = in(n, 0);
      std::vector<int64_t> pads{0, 0};
      if (same_upper(n))
        x = pad_same_upper(x, kernel, strides, {1, 1}, -1e30);
      else
        pads = symmetric_pads(n);
      out = torch::max_pool2d(x, kernel, strides, pads, {1, 1}, int_of(n, "ceil_mode", 0));
    } else if (op == "AveragePool") {
      if (same_upper(n))
        throw std::runtime_error("node " + n.name() +
                                 " averages with SAME padding; not supported in the tail");
      out = torch::avg_pool2d(in(n, 0), ints(n, "kernel_shape", {2, 2}), ints(n, "strides", {1, 1}),
                              symmetric_pads(n), int_of(n, "ceil_mode", 0));
    } else if (op == "GlobalAveragePool") {
      out = in(n, 0).mean({2, 3}, true);
    } else if (op == "Dropout") {
      out = in(n, 0);
    } else if (op == "Add") {
      out = in(n, 0) + in(n, 1);
    } else if (op == "BatchNormalization") {
      auto* eps = attribute(n, "epsilon");
      out = torch::batch_norm(in(n, 0), in(n, 1), in(n, 2), in(n, 3), in(n, 4), false, 0.0,
                              eps ? eps->f() : 1e-5, false);
    }
    values[n.output(0)] = out;
  }
  return values.at(embedding_);
}

std::vector<torch::Tensor> Backbone::tail_parameters() const {
  std::vector<torch::Tensor> out;
  for (auto& [name, t] : params_) out.push_back(t);
  return out;
}

std::map<std::string, torch::Tensor> Backbone::tail_weights() const {
  std::map<std::string, torch::Tensor> out;
  for (auto& [name, t] : params_) out[name] = t.detach().clone();
  return out;
}

void Backbone::load_tail_weights(const std::map<std::string, torch::Tensor>& weights) {
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : weights) params_.at(name).copy_(t);
}

onnx::ModelProto Backbone::graph_from_front() const {
  onnx::ModelProto m = graph_to_embedding();
  auto& g = *m.mutable_graph();
  google::protobuf::RepeatedPtrField<onnx::NodeProto> tail;
  for (const auto& n : tail_nodes_) *tail.Add() = n;
  g.mutable_node()->Swap(&tail);
  std::set<std::string> used;
  for (const auto& n : g.node())
    for (const auto& in : n.input()) used.insert(in);
  google::protobuf::RepeatedPtrField<onnx::TensorProto> inits;
  for (const auto& t : g.initializer())
    if (used.count(t.name())) *inits.Add() = t;
  g.mutable_initializer()->Swap(&inits);
  g.clear_input();
  auto* in = g.add_input();
  in->set_name(front_output_);
  auto* type = in->mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx::TensorProto::FLOAT);
  for (const char* d : {"N", "C", "H", "W"}) type->mutable_shape()->add_dim()->set_dim_param(d);
  return m;
}

onnx::ModelProto Backbone::graph_to_embedding() const {
  onnx::ModelProto m = model_;
  auto& g = *m.mutable_graph();
  // Keep the nodes up to the embedding; drop the old head.
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  for (const auto& n : g.node()) {
    *kept.Add() = n;
    if (n.output(0) == embedding_) break;
  }
  g.mutable_node()->Swap(&kept);
  std::set<std::string> used;
  for (const auto& n : g.node())
    for (const auto& in : n.input()) used.insert(in);
  google::protobuf::RepeatedPtrField<onnx::TensorProto> inits;
  for (const auto& t : g.initializer()) {
    if (!used.count(t.name())) continue;
    onnx::TensorProto copy = t;
    if (auto p = params_.find(t.name()); p != params_.end()) {
      torch::Tensor c = p->second.detach().contiguous();
      copy.clear_float_data();
      copy.set_raw_data(std::string(reinterpret_cast<const char*>(c.data_ptr<float>()),
                                    c.numel() * sizeof(float)));
    }
    *inits.Add() = copy;
  }
  g.mutable_initializer()->Swap(&inits);
  // Weights listed as graph inputs (older exports) go with their initializers.
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> inputs;
  std::set<std::string> init_names;
  for (const auto& t : g.initializer()) init_names.insert(t.name());
  bool first = true;
  for (const auto& v : g.input()) {
    bool is_weight = false;
    for (const auto& t : model_.graph().initializer()) is_weight |= t.name() == v.name();
    if (first && !is_weight) {
      *inputs.Add() = v;
      first = false;
    } else if (is_weight && init_names.count(v.name())) {
      *inputs.Add() = v;
    }
  }
  g.mutable_input()->Swap(&inputs);
  g.clear_output();
  g.clear_value_info();
  return m;
}

}  // namespace ce
