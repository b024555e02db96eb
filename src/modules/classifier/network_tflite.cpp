// TensorFlow Lite files read as their authors committed them. Neither
// OpenCV 4.6 nor libtorch reads TFLite, so the flatbuffer is turned, in
// memory, into the float ONNX graph it stands for: quantized weights
// dequantized (w = scale x (q - zero point), per channel or per tensor),
// NHWC turned into NCHW, fused activations made nodes of their own. OpenCV
// then runs it like any ONNX file, and training fine-tunes it like one.
#include <flatbuffers/flatbuffers.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <opencv2/core.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "modules/classifier/network_file.h"
#include "tflite_schema_generated.h"

namespace ce {
namespace {

enum Op {
  kAdd = 0,
  kAveragePool2d = 1,
  kConcatenation = 2,
  kConv2d = 3,
  kDepthwiseConv2d = 4,
  kDequantize = 6,
  kFullyConnected = 9,
  kLogistic = 14,
  kMaxPool2d = 17,
  kMul = 18,
  kRelu = 19,
  kRelu6 = 21,
  kReshape = 22,
  kSoftmax = 25,
  kMean = 40,
  kSqueeze = 43,
  kQuantize = 114,
  kHardSwish = 117,
};

std::string op_name(int code) {
  static const std::map<int, std::string> names{{kAdd, "ADD"},
                                                {kAveragePool2d, "AVERAGE_POOL_2D"},
                                                {kConcatenation, "CONCATENATION"},
                                                {kConv2d, "CONV_2D"},
                                                {kDepthwiseConv2d, "DEPTHWISE_CONV_2D"},
                                                {kDequantize, "DEQUANTIZE"},
                                                {kFullyConnected, "FULLY_CONNECTED"},
                                                {kLogistic, "LOGISTIC"},
                                                {kMaxPool2d, "MAX_POOL_2D"},
                                                {kMul, "MUL"},
                                                {kRelu, "RELU"},
                                                {kRelu6, "RELU6"},
                                                {kReshape, "RESHAPE"},
                                                {kSoftmax, "SOFTMAX"},
                                                {kMean, "MEAN"},
                                                {kSqueeze, "SQUEEZE"},
                                                {kQuantize, "QUANTIZE"},
                                                {kHardSwish, "HARD_SWISH"},
                                                // Common ones it does not run, named for the error.
                                                {5, "DEPTH_TO_SPACE"},
                                                {23, "RESIZE_BILINEAR"},
                                                {28, "TANH"},
                                                {32, "CUSTOM"},
                                                {34, "PAD"},
                                                {39, "TRANSPOSE"},
                                                {41, "SUB"},
                                                {42, "DIV"},
                                                {45, "STRIDED_SLICE"},
                                                {49, "SPLIT"},
                                                {53, "CAST"},
                                                {54, "PRELU"},
                                                {60, "PADV2"},
                                                {83, "PACK"},
                                                {97, "RESIZE_NEAREST_NEIGHBOR"},
                                                {98, "LEAKY_RELU"}};
  auto it = names.find(code);
  return it != names.end() ? it->second : "operator code " + std::to_string(code);
}

enum TensorType { kFloat32 = 0, kFloat16 = 1, kInt32 = 2, kUint8 = 3, kInt64 = 4, kInt8 = 9 };
enum Activation { kNone = 0, kActRelu = 1, kActReluN1To1 = 2, kActRelu6 = 3 };
constexpr int kSame = 0;

// TFLite's NHWC axis as the NCHW graph's.
int nchw_axis(int axis, size_t rank) {
  if (axis < 0) axis += static_cast<int>(rank);
  if (rank != 4) return axis;
  static const int map[] = {0, 2, 3, 1};
  return map[axis];
}

class Converter {
 public:
  Converter(const std::string& path, const std::string& bytes) : path_(path), bytes_(bytes) {
    flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (bytes.size() < 8 || !tflite::ModelBufferHasIdentifier(bytes.data()))
      throw std::runtime_error(path +
                               ": not a TensorFlow Lite model (no TFL3 identifier); export the "
                               "model again, or give an ONNX or TensorFlow file");
    if (!tflite::VerifyModelBuffer(verifier))
      throw std::runtime_error(path +
                               ": a damaged TensorFlow Lite file (it may be truncated); copy it "
                               "again from where it was exported");
    model_ = tflite::GetModel(bytes.data());
    if (!model_->subgraphs() || model_->subgraphs()->size() == 0)
      throw std::runtime_error(path + ": the TensorFlow Lite file has no graph");
    g_ = model_->subgraphs()->Get(0);
    if (!g_->tensors() || !g_->operators() || !g_->inputs() || !g_->outputs())
      throw std::runtime_error(path + ": the TensorFlow Lite graph is incomplete");
    names_.resize(g_->tensors()->size());
  }

  NetworkFile convert() {
    NetworkFile file;
    file.path = path_;
    file.format = "tflite";
    onnx::ModelProto m;
    m.set_ir_version(7);
    m.set_producer_name("checkout-edge (from TensorFlow Lite)");
    m.add_opset_import()->set_version(10);  // Clip with attributes, as OpenCV 4.6 reads it
    graph_ = m.mutable_graph();
    graph_->set_name("tflite");

    if (g_->inputs()->size() != 1)
      throw std::runtime_error(path_ + ": the graph has " + std::to_string(g_->inputs()->size()) +
                               " inputs; an image classifier has one");
    int input = g_->inputs()->Get(0);
    auto in_shape = shape(input);
    if (in_shape.size() != 4 || in_shape[3] != 3)
      throw std::runtime_error(path_ + ": the input '" + tensor_name(input) +
                               "' is not an image [1, height, width, 3]");
    names_[input] = "input";
    add_value_info(graph_->add_input(), "input", in_shape);
    file.input_height = static_cast<int>(in_shape[1]);
    file.input_width = static_cast<int>(in_shape[2]);
    describe_input(input, file);

    int quantized = 0;
    infer_shapes();
    for (size_t i = 0; i < g_->operators()->size(); ++i) convert(i);
    for (size_t i = 0; i < g_->tensors()->size(); ++i)
      if (constant(static_cast<int>(i)) && tensor(static_cast<int>(i))->type() != kFloat32)
        ++quantized;
    for (int out : *g_->outputs()) {
      if (names_.at(out).empty())
        throw std::runtime_error(path_ + ": the graph's output '" + tensor_name(out) +
                                 "' is computed by no operator");
      // An output that is another value's alias (a DEQUANTIZE at the end)
      // gets a node of its own, so the graph output has its own name.
      std::string out_name = names_[out];
      add_value_info(graph_->add_output(), out_name, shape(out));
    }
    for (size_t i = 0; i < names_.size(); ++i)
      if (!names_[i].empty() && !constant(static_cast<int>(i)))
        file.tflite_tensors[names_[i]] = tensor_name(static_cast<int>(i));
    // A pool whose ReLU is only its range: the integer tensor is the value
    // before the clamp too, the clamp being where the integers end.
    for (const auto& [value, tensor] : unclamped_)
      file.tflite_tensors.emplace(value, tensor_name(tensor));
    file.fixes.push_back(
        "converted from TensorFlow Lite: " + std::to_string(g_->operators()->size()) +
        " operators, " + std::to_string(quantized) + " quantized tensors dequantized to float32");
    file.bytes = m.SerializeAsString();
    return file;
  }

 private:
  const tflite::Tensor* tensor(int i) const {
    if (i < 0 || static_cast<size_t>(i) >= g_->tensors()->size())
      throw std::runtime_error(path_ + ": an operator names tensor " + std::to_string(i) +
                               ", which the graph does not have");
    return g_->tensors()->Get(i);
  }
  std::string tensor_name(int i) const {
    auto* t = tensor(i);
    return t->name() ? t->name()->str() : "#" + std::to_string(i);
  }
  // The stored shape, or for an operator's output stored with none (all of
  // MobileNet-EdgeTPU 1.0's are), the one infer_shapes() worked out.
  std::vector<int64_t> shape(int i) const {
    auto* t = tensor(i);
    std::vector<int64_t> s;
    if (t->shape())
      for (int d : *t->shape()) s.push_back(d);
    if (auto it = inferred_.find(i); s.empty() && it != inferred_.end()) return it->second;
    return s;
  }

  int code_of(const tflite::Operator& op, size_t index) const {
    if (!model_->operator_codes() || op.opcode_index() >= model_->operator_codes()->size())
      throw std::runtime_error(path_ + ": operator " + std::to_string(index) +
                               " has no operator code");
    auto* code = model_->operator_codes()->Get(op.opcode_index());
    return std::max<int>(code->builtin_code(), code->deprecated_builtin_code());
  }

  void infer_shapes() {
    for (size_t k = 0; k < g_->operators()->size(); ++k) {
      const tflite::Operator& op = *g_->operators()->Get(k);
      if (!op.outputs() || op.outputs()->size() == 0 || !op.inputs() || op.inputs()->size() == 0)
        continue;
      int out = op.outputs()->Get(0);
      if (auto* t = tensor(out); t->shape() && t->shape()->size() > 0) continue;
      std::vector<int64_t> in = shape(input_index(op, 0)), s = in;
      auto spatial = [&](int64_t kh, int64_t kw, int sh, int sw, int dh, int dw, int pad,
                         int64_t channels) {
        auto size = [&](int64_t n, int64_t k, int st, int d) {
          int64_t effective = (k - 1) * d + 1;
          return pad == kSame ? (n + st - 1) / st : (n - effective) / st + 1;
        };
        return std::vector<int64_t>{in[0], size(in[1], kh, sh, dh), size(in[2], kw, sw, dw),
                                    channels};
      };
      switch (code_of(op, k)) {
        case kConv2d:
        case kDepthwiseConv2d: {
          auto ws = shape(input_index(op, 1));
          if (in.size() != 4 || ws.size() != 4) break;
          if (auto* o = op.builtin_options_as_Conv2DOptions())
            s = spatial(ws[1], ws[2], o->stride_h(), o->stride_w(), o->dilation_h_factor(),
                        o->dilation_w_factor(), o->padding(), ws[0]);
          else if (auto* d = op.builtin_options_as_DepthwiseConv2DOptions())
            s = spatial(ws[1], ws[2], d->stride_h(), d->stride_w(), d->dilation_h_factor(),
                        d->dilation_w_factor(), d->padding(), ws[3]);
          break;
        }
        case kAveragePool2d:
        case kMaxPool2d:
          if (auto* o = op.builtin_options_as_Pool2DOptions(); o && in.size() == 4)
            s = spatial(o->filter_height(), o->filter_width(), o->stride_h(), o->stride_w(), 1, 1,
                        o->padding(), in[3]);
          break;
        case kMean: {
          auto* o = op.builtin_options_as_ReducerOptions();
          if (in.size() == 4)
            s = o && o->keep_dims() ? std::vector<int64_t>{in[0], 1, 1, in[3]}
                                    : std::vector<int64_t>{in[0], in[3]};
          break;
        }
        case kSqueeze:  // (our schema keeps no squeeze_dims: every 1 but the batch goes)
          s = {in.empty() ? 1 : in[0]};
          for (size_t d = 1; d < in.size(); ++d)
            if (in[d] != 1) s.push_back(in[d]);
          break;
        case kReshape: {
          std::vector<int64_t> target;
          if (int si = input_index(op, 1); si >= 0 && constant(si))
            target = ints(si);
          else if (auto* o = op.builtin_options_as_ReshapeOptions(); o && o->new_shape())
            for (int d : *o->new_shape()) target.push_back(d);
          int64_t known = 1, unknown = -1;
          for (size_t d = 0; d < target.size(); ++d)
            target[d] < 0 ? unknown = static_cast<int64_t>(d) : known *= target[d];
          if (unknown >= 0 && known > 0) target[unknown] = count(in) / known;
          if (!target.empty()) s = target;
          break;
        }
        case kFullyConnected: {
          auto ws = shape(input_index(op, 1));
          if (ws.size() == 2 && ws[1] > 0) s = {count(in) / ws[1], ws[0]};
          break;
        }
        default:  // element-wise: the first input's shape
          break;
      }
      inferred_[out] = s;
    }
  }
  static int64_t count(const std::vector<int64_t>& s) {
    int64_t n = 1;
    for (auto d : s) n *= d;
    return n;
  }

  // A constant tensor's bytes; empty for an activation.
  std::string_view data(int i) const {
    auto* t = tensor(i);
    if (!model_->buffers() || t->buffer() >= model_->buffers()->size()) return {};
    auto* b = model_->buffers()->Get(t->buffer());
    if (b->data() && b->data()->size())
      return {reinterpret_cast<const char*>(b->data()->data()), b->data()->size()};
    if (b->offset() > 1 && b->size() > 0) {
      if (b->offset() + b->size() > bytes_.size())
        throw std::runtime_error(path_ + ": the data of tensor '" + tensor_name(i) +
                                 "' lies past the end of the file (truncated?)");
      return std::string_view(bytes_).substr(b->offset(), b->size());
    }
    return {};
  }
  bool constant(int i) const { return !data(i).empty(); }

  // A constant tensor as float32, in its own (NHWC/OHWI) order.
  std::vector<float> values(int i) const {
    auto* t = tensor(i);
    auto s = shape(i);
    const int64_t n = count(s);
    std::string_view raw = data(i);
    static const std::map<int, size_t> sizes{{kFloat32, 4}, {kFloat16, 2}, {kInt32, 4},
                                             {kUint8, 1},   {kInt64, 8},   {kInt8, 1}};
    auto size = sizes.find(t->type());
    if (size == sizes.end())
      throw std::runtime_error(path_ + ": tensor '" + tensor_name(i) + "' has element type " +
                               std::to_string(t->type()) + ", which the classifier cannot read");
    if (raw.size() != static_cast<size_t>(n) * size->second)
      throw std::runtime_error(path_ + ": tensor '" + tensor_name(i) + "' holds " +
                               std::to_string(raw.size()) + " bytes for " + std::to_string(n) +
                               " values (damaged file?)");
    std::vector<float> out(n);
    auto raw_at = [&](int64_t k) -> double {
      const char* p = raw.data() + k * size->second;
      switch (t->type()) {
        case kInt8:
          return static_cast<int8_t>(*p);
        case kUint8:
          return static_cast<uint8_t>(*p);
        case kInt32: {
          int32_t v;
          std::memcpy(&v, p, 4);
          return v;
        }
        case kInt64: {
          int64_t v;
          std::memcpy(&v, p, 8);
          return static_cast<double>(v);
        }
        case kFloat16: {
          uint16_t v;
          std::memcpy(&v, p, 2);
          return float(cv::float16_t::fromBits(v));
        }
        default: {
          float v;
          std::memcpy(&v, p, 4);
          return v;
        }
      }
    };
    auto* q = t->quantization();
    bool quantized =
        q && q->scale() && q->scale()->size() > 0 && t->type() != kFloat32 && t->type() != kFloat16;
    if (!quantized) {
      if (t->type() == kInt8 || t->type() == kUint8)
        throw std::runtime_error(path_ + ": tensor '" + tensor_name(i) +
                                 "' is quantized but has no scale");
      for (int64_t k = 0; k < n; ++k) out[k] = static_cast<float>(raw_at(k));
      return out;
    }
    // Per channel along quantized_dimension, or one scale for all.
    const size_t channels = q->scale()->size();
    int64_t inner = 1, dim = 1;
    if (channels > 1) {
      int qd = q->quantized_dimension();
      if (qd < 0 || static_cast<size_t>(qd) >= s.size() || s[qd] != static_cast<int64_t>(channels))
        throw std::runtime_error(path_ + ": tensor '" + tensor_name(i) + "' has " +
                                 std::to_string(channels) +
                                 " scales that match no dimension of its shape");
      dim = s[qd];
      for (size_t d = qd + 1; d < s.size(); ++d) inner *= s[d];
    }
    for (int64_t k = 0; k < n; ++k) {
      size_t c = channels > 1 ? static_cast<size_t>((k / inner) % dim) : 0;
      double zero = q->zero_point() && q->zero_point()->size() > c ? q->zero_point()->Get(c) : 0;
      out[k] = static_cast<float>(q->scale()->Get(c) * (raw_at(k) - zero));
    }
    return out;
  }

  std::vector<int64_t> ints(int i) const {
    std::vector<int64_t> out;
    for (float v : values(i)) out.push_back(static_cast<int64_t>(std::lround(v)));
    return out;
  }

 public:
  NetworkFile input_only() const {
    NetworkFile file;
    file.path = path_;
    file.format = "tflite";
    if (g_->inputs()->size() == 1) {
      auto s = shape(g_->inputs()->Get(0));
      if (s.size() == 4)
        file.input_height = static_cast<int>(s[1]), file.input_width = static_cast<int>(s[2]);
      describe_input(g_->inputs()->Get(0), file);
    }
    return file;
  }

 private:
  void describe_input(int input, NetworkFile& file) const {
    auto* t = tensor(input);
    auto* q = t->quantization();
    file.metadata["tflite.inputType"] = t->type() == kUint8  ? "uint8"
                                        : t->type() == kInt8 ? "int8"
                                                             : "float32";
    if (q && q->scale() && q->scale()->size() == 1) {
      double scale = q->scale()->Get(0);
      double zero = q->zero_point() && q->zero_point()->size() ? q->zero_point()->Get(0) : 0;
      // A pixel p is fed as q = p (uint8) or p - 128 (int8); real = scale x (q - zero).
      double mean = zero + (t->type() == kInt8 ? 128 : 0);
      std::ostringstream s, m;
      s.precision(9);
      m.precision(9);
      s << scale;
      m << mean;
      file.metadata["tflite.inputScale"] = s.str();
      file.metadata["tflite.inputMean"] = m.str();
    }
  }

  void add_value_info(onnx::ValueInfoProto* v, const std::string& name,
                      std::vector<int64_t> s) const {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    if (s.size() == 4) s = {s[0], s[3], s[1], s[2]};
    for (size_t d = 0; d < s.size(); ++d) {
      if (d == 0)
        tt->mutable_shape()->add_dim()->set_dim_param("N");
      else
        tt->mutable_shape()->add_dim()->set_dim_value(s[d]);
    }
  }

  std::string initializer(const std::string& name, const std::vector<int64_t>& dims,
                          const std::vector<float>& v) {
    auto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4));
    return name;
  }
  std::string int_initializer(const std::string& name, const std::vector<int64_t>& v) {
    auto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(v.size()));
    t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * 8));
    return name;
  }

  onnx::NodeProto* node(const std::string& op, std::vector<std::string> inputs,
                        const std::string& output) {
    auto* n = graph_->add_node();
    n->set_op_type(op);
    n->set_name(output);
    for (auto& in : inputs) n->add_input(in);
    n->add_output(output);
    return n;
  }
  static void set(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }
  static void set(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  void clip(const std::string& x, const std::string& y, float lo, float hi) {
    auto* n = node("Clip", {x}, y);
    for (auto [name, v] : {std::pair{"min", lo}, std::pair{"max", hi}}) {
      auto* a = n->add_attribute();
      a->set_name(name);
      a->set_type(onnx::AttributeProto::FLOAT);
      a->set_f(v);
    }
  }
  static void set(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }

  // A unique ONNX name for a TFLite tensor: its own name where it has one.
  std::string fresh(int i, const std::string& suffix = "") {
    std::string base = tensor_name(i) + suffix;
    std::string name = base;
    for (int k = 1; used_.count(name); ++k) name = base + "_" + std::to_string(k);
    used_.insert(name);
    return name;
  }

  // The ONNX value holding TFLite tensor i: computed, or a constant made now.
  std::string value(const tflite::Operator& op, size_t at) {
    if (!op.inputs() || at >= op.inputs()->size())
      throw std::runtime_error(path_ + ": an operator lacks input " + std::to_string(at));
    int i = op.inputs()->Get(at);
    if (!names_.at(i).empty()) return names_[i];
    if (!constant(i))
      throw std::runtime_error(path_ + ": tensor '" + tensor_name(i) +
                               "' is used before any operator computes it");
    auto s = shape(i);
    auto v = values(i);
    // A 4-D constant in NHWC is stored NCHW, like every 4-D value.
    if (s.size() == 4) {
      std::vector<float> t(v.size());
      for (int64_t n = 0; n < s[0]; ++n)
        for (int64_t y = 0; y < s[1]; ++y)
          for (int64_t x = 0; x < s[2]; ++x)
            for (int64_t c = 0; c < s[3]; ++c)
              t[((n * s[3] + c) * s[1] + y) * s[2] + x] = v[((n * s[1] + y) * s[2] + x) * s[3] + c];
      v = std::move(t);
      s = {s[0], s[3], s[1], s[2]};
    }
    names_[i] = initializer(fresh(i), s, v);
    return names_[i];
  }

  int input_index(const tflite::Operator& op, size_t at) const {
    return op.inputs() && at < op.inputs()->size() ? op.inputs()->Get(at) : -1;
  }

  // An operand of ADD/MUL: a constant [C] or [1,1,1,C] beside a 4-D value
  // broadcasts over channels, which in NCHW is [C,1,1].
  std::string operand(const tflite::Operator& op, size_t at, size_t other_rank) {
    int i = input_index(op, at);
    if (names_.at(i).empty() && constant(i) && other_rank == 4) {
      auto s = shape(i);
      int64_t n = count(s);
      bool per_channel = s.size() <= 1 || (s.size() == 4 && s[0] == 1 && s[1] == 1 && s[2] == 1);
      if (per_channel) {
        names_[i] = initializer(
            fresh(i), n == 1 ? std::vector<int64_t>{1} : std::vector<int64_t>{n, 1, 1}, values(i));
        return names_[i];
      }
    }
    return value(op, at);
  }

  // The fused activation as its own node; returns the name of the result.
  std::string activate(int activation, const std::string& x, int out, const std::string& what) {
    switch (activation) {
      case kNone: {
        // Older uint8 files write a ReLU only as the output's range (zero
        // point at the type's lowest value): the integer model clamps there,
        // and so must the float one (else the object labeler says nothing).
        auto* t = tensor(out);
        auto* q = t->quantization();
        if (!q || !q->scale() || q->scale()->size() != 1 || !q->zero_point() ||
            q->zero_point()->size() != 1 || (t->type() != kUint8 && t->type() != kInt8))
          return x;
        int64_t zero = q->zero_point()->Get(0), lowest = t->type() == kUint8 ? 0 : -128;
        if (zero != lowest) return x;
        unclamped_[x] = out;
        clip(x, fresh(out, "_range"), 0.f, q->scale()->Get(0) * 255.f);
        break;
      }
      case kActRelu:
        node("Relu", {x}, fresh(out, "_relu"));
        break;
      case kActRelu6:
      case kActReluN1To1: {
        float lo = activation == kActRelu6 ? 0.f : -1.f, hi = activation == kActRelu6 ? 6.f : 1.f;
        clip(x, fresh(out, "_clip"), lo, hi);
        break;
      }
      default:
        throw std::runtime_error(path_ + ": " + what + " on tensor '" + tensor_name(out) +
                                 "' has fused activation " + std::to_string(activation) +
                                 ", which the classifier cannot run (it runs RELU, RELU6, "
                                 "RELU_N1_TO_1)");
    }
    return graph_->node(graph_->node_size() - 1).output(0);
  }

  // Padding as TensorFlow computes it. SAME puts the odd pixel at the end,
  // which ONNX calls SAME_UPPER; it is worked out for the size actually fed,
  // so the network takes other input sizes than the one it was exported at.
  void padding(onnx::NodeProto* n, int mode, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
               int64_t dh, int64_t dw) {
    if (mode != kSame) {
      set(n, "pads", std::vector<int64_t>{0, 0, 0, 0});
      return;
    }
    int64_t th = (kh - 1) * dh, tw = (kw - 1) * dw;  // total padding at stride 1
    if (sh == 1 && sw == 1 && th % 2 == 0 && tw % 2 == 0)
      set(n, "pads", std::vector<int64_t>{th / 2, tw / 2, th / 2, tw / 2});
    else
      set(n, "auto_pad", std::string("SAME_UPPER"));
  }

  void name_output(int out, const std::string& value) { names_.at(out) = value; }

  void convert(size_t index) {
    const tflite::Operator& op = *g_->operators()->Get(index);
    int c = code_of(op, index);
    if (!op.outputs() || op.outputs()->size() == 0)
      throw std::runtime_error(path_ + ": operator " + std::to_string(index) + " has no output");
    int out = op.outputs()->Get(0);
    const std::string what = op_name(c);
    auto rank_of_input = [&](size_t at) { return shape(input_index(op, at)).size(); };
    auto options_missing = [&] {
      return std::runtime_error(path_ + ": " + what + " on tensor '" + tensor_name(out) +
                                "' has no options");
    };

    switch (c) {
      case kConv2d:
      case kDepthwiseConv2d: {
        int wi = input_index(op, 1);
        if (!constant(wi))
          throw std::runtime_error(path_ + ": " + what + " on tensor '" + tensor_name(out) +
                                   "' has weights computed at run time");
        auto ws = shape(wi);
        auto w = values(wi);
        if (ws.size() != 4)
          throw std::runtime_error(path_ + ": weights '" + tensor_name(wi) + "' are not 4-D");
        std::vector<float> oihw(w.size());
        int64_t O, I, H = ws[1], W = ws[2], group = 1;
        int padding_mode, sh, sw, dh, dw, act;
        if (c == kConv2d) {  // OHWI
          auto* o = op.builtin_options_as_Conv2DOptions();
          if (!o) throw options_missing();
          O = ws[0], I = ws[3];
          for (int64_t a = 0; a < O; ++a)
            for (int64_t y = 0; y < H; ++y)
              for (int64_t x = 0; x < W; ++x)
                for (int64_t b = 0; b < I; ++b)
                  oihw[((a * I + b) * H + y) * W + x] = w[((a * H + y) * W + x) * I + b];
          padding_mode = o->padding(), sh = o->stride_h(), sw = o->stride_w();
          dh = o->dilation_h_factor(), dw = o->dilation_w_factor(),
          act = o->fused_activation_function();
          int64_t in_channels = shape(input_index(op, 0)).back();
          if (in_channels != I) group = in_channels / I;  // grouped convolution
        } else {                                          // [1, H, W, channels x multiplier]
          auto* o = op.builtin_options_as_DepthwiseConv2DOptions();
          if (!o) throw options_missing();
          O = ws[3], I = 1;
          for (int64_t a = 0; a < O; ++a)
            for (int64_t y = 0; y < H; ++y)
              for (int64_t x = 0; x < W; ++x) oihw[(a * H + y) * W + x] = w[(y * W + x) * O + a];
          group = shape(input_index(op, 0)).back();
          padding_mode = o->padding(), sh = o->stride_h(), sw = o->stride_w();
          dh = o->dilation_h_factor(), dw = o->dilation_w_factor(),
          act = o->fused_activation_function();
        }
        std::vector<std::string> ins{value(op, 0), initializer(fresh(wi), {O, I, H, W}, oihw)};
        int bi = input_index(op, 2);
        if (bi >= 0) ins.push_back(initializer(fresh(bi), {O}, values(bi)));
        std::string y = fresh(out, act == kNone ? "" : "_linear");
        auto* n = node("Conv", ins, y);
        set(n, "kernel_shape", std::vector<int64_t>{H, W});
        set(n, "strides", std::vector<int64_t>{sh, sw});
        set(n, "dilations", std::vector<int64_t>{dh, dw});
        set(n, "group", group);
        padding(n, padding_mode, H, W, sh, sw, dh, dw);
        name_output(out, activate(act, y, out, what));
        break;
      }
      case kAveragePool2d:
      case kMaxPool2d: {
        auto* o = op.builtin_options_as_Pool2DOptions();
        if (!o) throw options_missing();
        auto in = shape(input_index(op, 0));
        auto os = shape(out);
        std::string y = fresh(out, o->fused_activation_function() ? "_linear" : "");
        // A pool over the whole map stays one for any input size.
        bool global = in.size() == 4 && o->filter_height() == in[1] && o->filter_width() == in[2] &&
                      os.size() == 4 && os[1] == 1 && os[2] == 1;
        if (global) {
          node(c == kAveragePool2d ? "GlobalAveragePool" : "GlobalMaxPool", {value(op, 0)}, y);
        } else {
          auto* n = node(c == kAveragePool2d ? "AveragePool" : "MaxPool", {value(op, 0)}, y);
          set(n, "kernel_shape", std::vector<int64_t>{o->filter_height(), o->filter_width()});
          set(n, "strides", std::vector<int64_t>{o->stride_h(), o->stride_w()});
          padding(n, o->padding(), o->filter_height(), o->filter_width(), o->stride_h(),
                  o->stride_w(), 1, 1);
        }
        name_output(out, activate(o->fused_activation_function(), y, out, what));
        break;
      }
      case kMean: {
        auto in = shape(input_index(op, 0));
        auto axes = ints(input_index(op, 1));
        for (auto& a : axes) a = a < 0 ? a + static_cast<int64_t>(in.size()) : a;
        std::sort(axes.begin(), axes.end());
        auto* o = op.builtin_options_as_ReducerOptions();
        bool keep = o && o->keep_dims();
        if (in.size() != 4 || axes != std::vector<int64_t>{1, 2})
          throw std::runtime_error(path_ + ": MEAN on tensor '" + tensor_name(out) +
                                   "' averages other axes than height and width, which the "
                                   "classifier cannot run");
        std::string pooled = fresh(out, keep ? "" : "_pooled");
        node("GlobalAveragePool", {value(op, 0)}, pooled);
        if (keep) {
          name_output(out, pooled);
        } else {
          std::string y = fresh(out);
          set(node("Flatten", {pooled}, y), "axis", int64_t{1});
          name_output(out, y);
        }
        break;
      }
      case kReshape:
      case kSqueeze: {
        auto in = shape(input_index(op, 0));
        auto os = shape(out);
        std::string x = value(op, 0);
        // Reshaping moves values in NHWC order: a map with more than one
        // pixel is put back in that order first.
        if (in.size() == 4 && in[1] * in[2] > 1) {
          std::string t = fresh(out, "_nhwc");
          set(node("Transpose", {x}, t), "perm", std::vector<int64_t>{0, 2, 3, 1});
          x = t;
        }
        std::vector<int64_t> target = os;
        if (!target.empty()) target[0] = -1;  // any batch
        bool back_to_nchw = os.size() == 4;
        std::string y = fresh(out, back_to_nchw ? "_nhwc_out" : "");
        node("Reshape", {x, int_initializer(y + "_shape", target)}, y);
        if (back_to_nchw) {
          std::string z = fresh(out);
          set(node("Transpose", {y}, z), "perm", std::vector<int64_t>{0, 3, 1, 2});
          y = z;
        }
        name_output(out, y);
        break;
      }
      case kSoftmax: {
        auto in = shape(input_index(op, 0));
        if (in.size() == 4 && in[1] * in[2] > 1)
          throw std::runtime_error(path_ + ": SOFTMAX on tensor '" + tensor_name(out) +
                                   "' runs over each pixel of a map, which the classifier "
                                   "cannot run");
        std::string x = value(op, 0);
        auto* o = op.builtin_options_as_SoftmaxOptions();
        if (o && o->beta() != 1.f && o->beta() != 0.f) {
          std::string scaled = fresh(out, "_beta");
          node("Mul", {x, initializer(scaled + "_value", {}, {o->beta()})}, scaled);
          x = scaled;
        }
        std::string y = fresh(out);
        if (in.size() == 4) {
          std::string flat = fresh(out, "_flat");
          set(node("Flatten", {x}, flat), "axis", int64_t{1});
          node("Softmax", {flat}, y);  // then back to [N, C, 1, 1]
          std::string z = fresh(out, "_map");
          node("Reshape", {y, int_initializer(z + "_shape", {-1, in[3], 1, 1})}, z);
          y = z;
        } else {
          set(node("Softmax", {x}, y), "axis", static_cast<int64_t>(in.size() - 1));
        }
        name_output(out, y);
        break;
      }
      case kConcatenation: {
        auto* o = op.builtin_options_as_ConcatenationOptions();
        if (!o) throw options_missing();
        std::vector<std::string> parts;
        for (size_t k = 0; k < op.inputs()->size(); ++k) parts.push_back(value(op, k));
        std::string y = fresh(out, o->fused_activation_function() ? "_linear" : "");
        set(node("Concat", parts, y), "axis",
            static_cast<int64_t>(nchw_axis(o->axis(), shape(out).size())));
        name_output(out, activate(o->fused_activation_function(), y, out, what));
        break;
      }
      case kAdd:
      case kMul: {
        int act = 0;
        if (c == kAdd) {
          if (auto* o = op.builtin_options_as_AddOptions()) act = o->fused_activation_function();
        } else if (auto* o = op.builtin_options_as_MulOptions()) {
          act = o->fused_activation_function();
        }
        size_t r0 = rank_of_input(0), r1 = rank_of_input(1);
        std::string a = operand(op, 0, r1), b = operand(op, 1, r0);
        std::string y = fresh(out, act ? "_linear" : "");
        node(c == kAdd ? "Add" : "Mul", {a, b}, y);
        name_output(out, activate(act, y, out, what));
        break;
      }
      case kFullyConnected: {
        auto* o = op.builtin_options_as_FullyConnectedOptions();
        if (o && o->weights_format() != 0)
          throw std::runtime_error(path_ + ": FULLY_CONNECTED on tensor '" + tensor_name(out) +
                                   "' has shuffled weights, which the classifier cannot read");
        int wi = input_index(op, 1);
        if (!constant(wi))
          throw std::runtime_error(path_ + ": FULLY_CONNECTED on tensor '" + tensor_name(out) +
                                   "' has weights computed at run time");
        auto ws = shape(wi);  // [out, in]
        auto in = shape(input_index(op, 0));
        std::string x = value(op, 0);
        if (in.size() == 4 && in[1] * in[2] > 1) {
          std::string t = fresh(out, "_nhwc");
          set(node("Transpose", {x}, t), "perm", std::vector<int64_t>{0, 2, 3, 1});
          x = t;
        }
        if (in.size() != 2) {
          std::string flat = fresh(out, "_flat");
          set(node("Flatten", {x}, flat), "axis", int64_t{1});
          x = flat;
        }
        std::vector<std::string> ins{x, initializer(fresh(wi), ws, values(wi))};
        int bi = input_index(op, 2);
        if (bi >= 0) ins.push_back(initializer(fresh(bi), {ws[0]}, values(bi)));
        int act = o ? o->fused_activation_function() : 0;
        std::string y = fresh(out, act ? "_linear" : "");
        set(node("Gemm", ins, y), "transB", int64_t{1});
        name_output(out, activate(act, y, out, what));
        break;
      }
      case kHardSwish: {  // x * relu6(x + 3) / 6, in ops every reader has
        std::string x = value(op, 0), base = fresh(out, "_hs");
        node("Add", {x, initializer(base + "_three", {}, {3.f})}, base + "_plus3");
        clip(base + "_plus3", base + "_relu6", 0.f, 6.f);
        node("Mul", {base + "_relu6", initializer(base + "_sixth", {}, {1.f / 6})}, base + "_gate");
        std::string y = fresh(out);
        node("Mul", {x, base + "_gate"}, y);
        name_output(out, y);
        break;
      }
      case kLogistic: {
        std::string y = fresh(out);
        node("Sigmoid", {value(op, 0)}, y);
        name_output(out, y);
        break;
      }
      case kRelu:
      case kRelu6: {
        name_output(out, activate(c == kRelu ? kActRelu : kActRelu6, value(op, 0), out, what));
        break;
      }
      case kQuantize:
      case kDequantize:
        // The float graph has no integers: the value passes as it is.
        name_output(out, value(op, 0));
        break;
      default:
        throw std::runtime_error(
            path_ + ": operator " + std::to_string(index) + " is " + what + " (computing '" +
            tensor_name(out) +
            "'), which the classifier cannot run; it runs CONV_2D, DEPTHWISE_CONV_2D, "
            "FULLY_CONNECTED, ADD, MUL, CONCATENATION, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, "
            "RESHAPE, SQUEEZE, SOFTMAX, LOGISTIC, HARD_SWISH, RELU, RELU6, QUANTIZE and "
            "DEQUANTIZE");
    }
  }

  std::string path_;
  const std::string& bytes_;
  const tflite::Model* model_ = nullptr;
  const tflite::SubGraph* g_ = nullptr;
  onnx::GraphProto* graph_ = nullptr;
  std::vector<std::string> names_;        // ONNX value of each TFLite tensor
  std::map<std::string, int> unclamped_;  // a value before a ReLU-as-range clamp -> its tensor
  std::map<int, std::vector<int64_t>> inferred_;  // shapes of outputs stored with none
  std::set<std::string> used_{"input"};
};

std::string read_model_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the model file");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

NetworkFile prepare_tflite(const std::string& path) {
  std::string bytes = read_model_file(path);
  return Converter(path, bytes).convert();
}

NetworkFile tflite_input(const std::string& path) {
  std::string bytes = read_model_file(path);
  return Converter(path, bytes).input_only();
}

}  // namespace ce
