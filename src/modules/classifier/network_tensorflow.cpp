// Constant folding for TensorFlow graphs, enough for the arithmetic that
// Custom Vision's exports do on constants (their input batch-norm:
// rsqrt(variance + epsilon), -mean * that).
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "modules/classifier/network_file.h"
#include "modules/classifier/tensorflow_graph.pb.h"

namespace ce {
namespace {

namespace tf = checkout_edge::tf;

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

std::optional<Tensor> tensor_of(const tf::TensorProto& t) {
  if (t.dtype() != tf::DT_FLOAT) return std::nullopt;
  Tensor out;
  size_t count = 1;
  for (const auto& d : t.tensor_shape().dim()) {
    if (d.size() < 0) return std::nullopt;
    out.shape.push_back(d.size());
    count *= d.size();
  }
  if (!t.tensor_content().empty()) {
    if (t.tensor_content().size() != count * sizeof(float)) return std::nullopt;
    out.values.resize(count);
    std::memcpy(out.values.data(), t.tensor_content().data(), t.tensor_content().size());
  } else if (t.float_val_size() == 1) {
    out.values.assign(count, t.float_val(0));  // TensorFlow's shorthand for a filled tensor
  } else if (static_cast<size_t>(t.float_val_size()) == count) {
    out.values.assign(t.float_val().begin(), t.float_val().end());
  } else {
    return std::nullopt;
  }
  return out;
}

tf::TensorProto proto_of(const Tensor& t) {
  tf::TensorProto p;
  p.set_dtype(tf::DT_FLOAT);
  for (auto d : t.shape) p.mutable_tensor_shape()->add_dim()->set_size(d);
  p.set_tensor_content(
      std::string(reinterpret_cast<const char*>(t.values.data()), t.values.size() * sizeof(float)));
  return p;
}

// NumPy broadcasting: shapes aligned on the right, a 1 stretches.
std::optional<Tensor> broadcast(const Tensor& a, const Tensor& b,
                                const std::function<float(float, float)>& f) {
  size_t rank = std::max(a.shape.size(), b.shape.size());
  auto padded = [rank](const std::vector<int64_t>& s) {
    std::vector<int64_t> p(rank - s.size(), 1);
    p.insert(p.end(), s.begin(), s.end());
    return p;
  };
  auto sa = padded(a.shape), sb = padded(b.shape);
  Tensor out;
  for (size_t i = 0; i < rank; ++i) {
    if (sa[i] != sb[i] && sa[i] != 1 && sb[i] != 1) return std::nullopt;
    out.shape.push_back(std::max(sa[i], sb[i]));
  }
  size_t count = 1;
  for (auto d : out.shape) count *= d;
  out.values.resize(count);
  for (size_t flat = 0; flat < count; ++flat) {
    size_t rest = flat, ia = 0, ib = 0, stride_a = 1, stride_b = 1;
    for (size_t i = rank; i-- > 0;) {
      size_t idx = rest % out.shape[i];
      rest /= out.shape[i];
      if (sa[i] != 1) ia += idx * stride_a;
      if (sb[i] != 1) ib += idx * stride_b;
      stride_a *= sa[i];
      stride_b *= sb[i];
    }
    out.values[flat] = f(a.values[ia], b.values[ib]);
  }
  return out;
}

std::optional<Tensor> unary(Tensor t, float (*f)(float)) {
  for (auto& v : t.values) v = f(v);
  return t;
}

const std::unordered_map<std::string, std::function<float(float, float)>>& binary_ops() {
  static const std::unordered_map<std::string, std::function<float(float, float)>> ops{
      {"Add", std::plus<float>()},
      {"AddV2", std::plus<float>()},
      {"Sub", std::minus<float>()},
      {"Mul", std::multiplies<float>()},
      {"RealDiv", std::divides<float>()},
      {"Maximum", [](float a, float b) { return std::max(a, b); }},
      {"Minimum", [](float a, float b) { return std::min(a, b); }}};
  return ops;
}

const std::unordered_map<std::string, float (*)(float)>& unary_ops() {
  static const std::unordered_map<std::string, float (*)(float)> ops{
      {"Neg", [](float v) { return -v; }},
      {"Rsqrt", [](float v) { return 1.0f / std::sqrt(v); }},
      {"Sqrt", [](float v) { return std::sqrt(v); }},
      {"Reciprocal", [](float v) { return 1.0f / v; }},
      {"Square", [](float v) { return v * v; }}};
  return ops;
}

std::string node_name_of(const std::string& input) {
  std::string name = input;
  if (auto colon = name.rfind(':'); colon != std::string::npos) name.resize(colon);
  return name;
}

class Folder {
 public:
  explicit Folder(tf::GraphDef& graph) : graph_(graph) {
    for (auto& n : *graph_.mutable_node()) by_name_[n.name()] = &n;
  }

  int fold() {
    int folded = 0;
    for (auto& node : *graph_.mutable_node()) {
      if (node.op() == "Const" || node.op() == "Identity") continue;
      if (!binary_ops().count(node.op()) && !unary_ops().count(node.op())) continue;
      auto value = evaluate(node.name());
      if (!value) continue;
      node.set_op("Const");
      node.clear_input();
      node.clear_attr();
      (*node.mutable_attr())["dtype"].set_type(tf::DT_FLOAT);
      *(*node.mutable_attr())["value"].mutable_tensor() = proto_of(*value);
      ++folded;
    }
    return folded;
  }

 private:
  std::optional<Tensor> evaluate(const std::string& name) {
    if (auto it = memo_.find(name); it != memo_.end()) return it->second;
    memo_[name] = std::nullopt;  // a cycle evaluates to "not constant"
    auto value = compute(name);
    memo_[name] = value;
    return value;
  }

  std::optional<Tensor> compute(const std::string& name) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return std::nullopt;
    const tf::NodeDef& n = *it->second;
    std::vector<Tensor> args;
    for (const auto& in : n.input()) {
      if (!in.empty() && in[0] == '^') continue;  // control dependency, no data
      auto v = evaluate(node_name_of(in));
      if (!v) return std::nullopt;
      args.push_back(std::move(*v));
    }
    if (n.op() == "Const") {
      auto a = n.attr().find("value");
      return a == n.attr().end() ? std::nullopt : tensor_of(a->second.tensor());
    }
    if (n.op() == "Identity" && args.size() == 1) return args[0];
    if (auto u = unary_ops().find(n.op()); u != unary_ops().end() && args.size() == 1)
      return unary(args[0], u->second);
    if (auto b = binary_ops().find(n.op()); b != binary_ops().end() && args.size() == 2)
      return broadcast(args[0], args[1], b->second);
    return std::nullopt;
  }

  tf::GraphDef& graph_;
  std::unordered_map<std::string, tf::NodeDef*> by_name_;
  std::unordered_map<std::string, std::optional<Tensor>> memo_;
};

}  // namespace

NetworkFile prepare_tensorflow(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the model file");
  tf::GraphDef graph;
  if (!graph.ParseFromIstream(&in))
    throw std::runtime_error(path + ": not a TensorFlow GraphDef (frozen .pb) file");
  NetworkFile file;
  file.path = path;
  file.format = "tensorflow";
  for (const auto& node : graph.node()) {
    if (node.op() != "Placeholder") continue;
    auto shape = node.attr().find("shape");
    if (shape == node.attr().end()) break;
    const auto& dims = shape->second.shape().dim();
    if (dims.size() == 4) {  // NHWC, TensorFlow's layout
      file.input_height = static_cast<int>(std::max<int64_t>(dims[1].size(), 0));
      file.input_width = static_cast<int>(std::max<int64_t>(dims[2].size(), 0));
    }
    break;
  }
  if (int folded = Folder(graph).fold())
    file.fixes.push_back("folded " + std::to_string(folded) + " constant nodes");
  file.bytes = graph.SerializeAsString();
  return file;
}

}  // namespace ce
