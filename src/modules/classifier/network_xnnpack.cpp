#include "modules/classifier/network_xnnpack.h"

#include <flatbuffers/flatbuffers.h>
#include <xnnpack.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "tflite_schema_generated.h"

namespace ce {

namespace {

enum Op {
  kAdd = 0,
  kAveragePool2d = 1,
  kConv2d = 3,
  kDepthwiseConv2d = 4,
  kDequantize = 6,
  kFullyConnected = 9,
  kLogistic = 14,
  kReshape = 22,
  kSoftmax = 25,
  kMean = 40,
  kSqueeze = 43,
  kQuantize = 114,
};

const std::map<int, std::string>& op_names() {
  static const std::map<int, std::string> names{{kAdd, "ADD"},
                                                {kAveragePool2d, "AVERAGE_POOL_2D"},
                                                {2, "CONCATENATION"},
                                                {kConv2d, "CONV_2D"},
                                                {kDepthwiseConv2d, "DEPTHWISE_CONV_2D"},
                                                {kDequantize, "DEQUANTIZE"},
                                                {kFullyConnected, "FULLY_CONNECTED"},
                                                {kLogistic, "LOGISTIC"},
                                                {17, "MAX_POOL_2D"},
                                                {18, "MUL"},
                                                {19, "RELU"},
                                                {21, "RELU6"},
                                                {kReshape, "RESHAPE"},
                                                {kSoftmax, "SOFTMAX"},
                                                {34, "PAD"},
                                                {kMean, "MEAN"},
                                                {kSqueeze, "SQUEEZE"},
                                                {kQuantize, "QUANTIZE"},
                                                {117, "HARD_SWISH"}};
  return names;
}

std::string op_name(int code) {
  auto it = op_names().find(code);
  return it != op_names().end() ? it->second : "operator code " + std::to_string(code);
}

enum TensorType { kFloat32 = 0, kInt32 = 2, kUint8 = 3, kInt64 = 4, kInt8 = 9 };
enum Activation { kNone = 0, kRelu = 1, kReluN1To1 = 2, kRelu6 = 3 };
constexpr int kSame = 0;

void init_xnnpack() {
  static std::once_flag once;
  static xnn_status status = xnn_status_uninitialized;
  std::call_once(once, [] { status = xnn_initialize(nullptr); });
  if (status != xnn_status_success)
    throw std::runtime_error("XNNPACK cannot start on this processor (status " +
                             std::to_string(status) + ")");
}

struct Tensor {
  std::string name;
  int type = kFloat32;
  std::vector<int> shape;     // inferred, NHWC
  std::vector<float> scales;  // one, or one per output channel
  int zero_point = 0;
  std::string_view constant;   // a weight's bytes in the file; empty for an activation
  std::vector<uint8_t> bytes;  // an activation's values (+ XNN_EXTRA_BYTES)
  int alias = -1;              // RESHAPE and SQUEEZE: the tensor whose bytes these are

  size_t count() const {
    size_t n = 1;
    for (int d : shape) n *= static_cast<size_t>(d);
    return n;
  }
  float scale() const { return scales.empty() ? 1.f : scales[0]; }
  int qmin() const { return type == kInt8 ? -128 : 0; }
  int qmax() const { return type == kInt8 ? 127 : 255; }
  float real(int q) const { return scale() * static_cast<float>(q - zero_point); }
  int quantize(float real) const {
    long q = std::lround(real / scale()) + zero_point;
    return static_cast<int>(std::clamp<long>(q, qmin(), qmax()));
  }
};

struct OperatorDeleter {
  void operator()(xnn_operator* op) const { xnn_delete_operator(op); }
};
using Operator = std::unique_ptr<xnn_operator, OperatorDeleter>;

}  // namespace

struct IntegerNetwork::Graph {
  std::string path, file;
  const tflite::Model* model = nullptr;
  const tflite::SubGraph* g = nullptr;
  std::vector<Tensor> tensors;
  int input = -1, output = -1;
  std::vector<Operator> operators;
  std::vector<std::function<void()>> steps;
  std::vector<std::string> plan;
  std::unique_ptr<pthreadpool, decltype(&pthreadpool_destroy)> pool{nullptr, pthreadpool_destroy};
  uint8_t lut[3][256] = {};  // per channel: pixel -> the input's quantized value

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(path + ": " + what);
  }

  Tensor& t(int i) {
    if (i < 0 || static_cast<size_t>(i) >= tensors.size())
      fail("an operator names tensor " + std::to_string(i) + ", which the graph does not have");
    return tensors[static_cast<size_t>(i)];
  }
  uint8_t* bytes_of(int i) {
    while (t(i).alias >= 0) i = t(i).alias;
    return t(i).bytes.data();
  }

  void read(int threads, const PixelMapping& pixels, const std::string& stop_at) {
    std::ifstream stream(path, std::ios::binary);
    if (!stream) fail("cannot open the network file");
    file.assign(std::istreambuf_iterator<char>(stream), {});
    flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(file.data()), file.size());
    if (file.size() < 8 || !tflite::ModelBufferHasIdentifier(file.data()))
      fail("not a TensorFlow Lite model (no TFL3 identifier)");
    if (!tflite::VerifyModelBuffer(verifier))
      fail("a damaged TensorFlow Lite file (it may be truncated); copy it again");
    model = tflite::GetModel(file.data());
    if (!model->subgraphs() || model->subgraphs()->size() == 0) fail("the file has no graph");
    g = model->subgraphs()->Get(0);
    if (!g->tensors() || !g->operators() || !g->inputs() || !g->outputs() ||
        g->inputs()->size() != 1 || g->outputs()->size() < 1)
      fail("the graph is incomplete, or has more than one input");
    for (size_t i = 0; i < g->tensors()->size(); ++i)
      tensors.push_back(describe(static_cast<int>(i)));
    input = g->inputs()->Get(0);
    output = g->outputs()->Get(0);
    if (!stop_at.empty()) output = index_of(stop_at);
    Tensor& in = t(input);
    if (in.shape.size() != 4 || in.shape[0] != 1 || in.shape[3] != 3)
      fail("the input '" + in.name + "' is not one RGB image (NHWC [1, H, W, 3])");
    if (in.type != kUint8 && in.type != kInt8)
      fail("the input '" + in.name +
           "' is not quantized: run this file with the float engine (OpenCV)");
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < 256; ++p)
        lut[c][p] = static_cast<uint8_t>(
            in.quantize((static_cast<float>(p) - pixels.mean[c]) * pixels.scale));
    in.bytes.assign(in.count() + XNN_EXTRA_BYTES, 0);
    if (threads > 1) pool.reset(pthreadpool_create(static_cast<size_t>(threads)));
    init_xnnpack();
    // Operators are stored in an order that runs: what a tensor needs comes before it.
    for (size_t i = 0; i < g->operators()->size(); ++i) {
      const tflite::Operator& op = *g->operators()->Get(i);
      prepare(op);
      if (!stop_at.empty() && op.outputs() && op.outputs()->Get(0) == output) break;
    }
    if (t(output).bytes.empty() && t(output).alias < 0)
      fail("the graph's output '" + t(output).name + "' is computed by no operator");
  }

  int index_of(const std::string& name) const {
    for (size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i].name == name) return static_cast<int>(i);
    fail("the graph has no tensor named '" + name + "'");
  }

  Tensor describe(int i) {
    const tflite::Tensor* ft = g->tensors()->Get(static_cast<flatbuffers::uoffset_t>(i));
    Tensor out;
    out.name = ft->name() ? ft->name()->str() : "#" + std::to_string(i);
    out.type = ft->type();
    if (ft->shape())
      for (int d : *ft->shape()) out.shape.push_back(d);
    if (auto* q = ft->quantization(); q && q->scale()) {
      for (float s : *q->scale()) out.scales.push_back(s);
      if (q->zero_point() && q->zero_point()->size() > 0)
        out.zero_point = static_cast<int>(q->zero_point()->Get(0));
    }
    if (model->buffers() && ft->buffer() < model->buffers()->size()) {
      auto* b = model->buffers()->Get(ft->buffer());
      if (b->data() && b->data()->size())
        out.constant = {reinterpret_cast<const char*>(b->data()->data()), b->data()->size()};
    }
    return out;
  }

  // What the output's type allows, narrowed by a fused activation.
  std::pair<int, int> range(const Tensor& out, int activation) const {
    int lo = out.qmin(), hi = out.qmax();
    if (activation == kRelu || activation == kRelu6) lo = std::max(lo, out.quantize(0.f));
    if (activation == kRelu6) hi = std::min(hi, out.quantize(6.f));
    if (activation == kReluN1To1) {
      lo = std::max(lo, out.quantize(-1.f));
      hi = std::min(hi, out.quantize(1.f));
    }
    if (activation > kRelu6)
      fail("tensor '" + out.name + "' has a fused activation the engine cannot run");
    return {lo, hi};
  }

  void allocate(int i, std::vector<int> shape) {
    Tensor& out = t(i);
    out.shape = std::move(shape);
    if (out.type != kUint8 && out.type != kInt8 && out.type != kFloat32)
      fail("tensor '" + out.name +
           "' is neither 8-bit nor float: the integer engine cannot hold it");
    size_t size = out.count() * (out.type == kFloat32 ? 4 : 1);
    out.bytes.assign(size + XNN_EXTRA_BYTES, 0);
  }

  void check(xnn_status s, const tflite::Operator& op, const std::string& what) {
    if (s != xnn_status_success)
      fail(what + " for tensor '" + t(op.outputs()->Get(0)).name + "' failed (XNNPACK status " +
           std::to_string(s) + ")");
  }

  static int same_padding(int in, int out, int stride, int kernel, int dilation) {
    return std::max((out - 1) * stride + (kernel - 1) * dilation + 1 - in, 0);
  }
  static int out_size(int in, int stride, int kernel, int dilation, int padding) {
    int effective = (kernel - 1) * dilation + 1;
    return padding == kSame ? (in + stride - 1) / stride : (in - effective) / stride + 1;
  }

  void prepare(const tflite::Operator& op) {
    if (!model->operator_codes() || op.opcode_index() >= model->operator_codes()->size())
      fail("an operator has no operator code");
    auto* code = model->operator_codes()->Get(op.opcode_index());
    int c = std::max<int>(code->builtin_code(), code->deprecated_builtin_code());
    if (!op.inputs() || !op.outputs() || op.inputs()->size() == 0 || op.outputs()->size() != 1)
      fail(op_name(c) + ": an operator without its input or with several outputs");
    int in = op.inputs()->Get(0), out = op.outputs()->Get(0);
    std::string kind = t(in).type == kInt8 ? "qs8" : t(in).type == kUint8 ? "qu8" : "f32";
    switch (c) {
      case kConv2d:
      case kDepthwiseConv2d:
        convolution(op, c == kDepthwiseConv2d, kind);
        break;
      case kFullyConnected:
        fully_connected(op, kind);
        break;
      case kAdd:
        add(op, kind);
        break;
      case kAveragePool2d:
      case kMean:
        average(op, c, kind);
        break;
      case kReshape:
      case kSqueeze:
        reshape(op, c);
        break;
      case kQuantize:
      case kDequantize:
        requantize(op, c);
        break;
      case kSoftmax:
        softmax(op);
        break;
      case kLogistic:
        logistic(op, kind);
        break;
      default:
        fail(op_name(c) + " (computing tensor '" + t(out).name +
             "') is an operator the integer engine cannot run; run this file with the float "
             "engine");
    }
    plan.push_back(op_name(c) + " (" + kind + ")");
  }

  void convolution(const tflite::Operator& op, bool depthwise, const std::string& kind) {
    int in = op.inputs()->Get(0), w = op.inputs()->Get(1), out = op.outputs()->Get(0);
    int b = op.inputs()->size() > 2 ? op.inputs()->Get(2) : -1;
    int stride_w = 1, stride_h = 1, dil_w = 1, dil_h = 1, padding = kSame, act = kNone, mult = 1;
    if (depthwise) {
      auto* o = op.builtin_options_as_DepthwiseConv2DOptions();
      if (!o) fail("DEPTHWISE_CONV_2D for '" + t(out).name + "' has no options");
      stride_w = o->stride_w(), stride_h = o->stride_h(), dil_w = o->dilation_w_factor(),
      dil_h = o->dilation_h_factor(), padding = o->padding(), act = o->fused_activation_function();
      mult = std::max(1, o->depth_multiplier());
    } else {
      auto* o = op.builtin_options_as_Conv2DOptions();
      if (!o) fail("CONV_2D for '" + t(out).name + "' has no options");
      stride_w = o->stride_w(), stride_h = o->stride_h(), dil_w = o->dilation_w_factor(),
      dil_h = o->dilation_h_factor(), padding = o->padding(), act = o->fused_activation_function();
    }
    const Tensor& x = t(in);
    const Tensor& k = t(w);
    if (x.shape.size() != 4 || k.shape.size() != 4 || k.constant.empty())
      fail("the convolution computing '" + t(out).name +
           "' is not a 2-D one with constant weights");
    int h = x.shape[1], wd = x.shape[2], cin = x.shape[3];
    int kh = k.shape[1], kw = k.shape[2];
    int cout = depthwise ? k.shape[3] : k.shape[0];
    if (depthwise) mult = cout / cin;
    int oh = out_size(h, stride_h, kh, dil_h, padding),
        ow = out_size(wd, stride_w, kw, dil_w, padding);
    allocate(out, {1, oh, ow, cout});
    uint32_t top = 0, left = 0, bottom = 0, right = 0;
    if (padding == kSame) {
      int ph = same_padding(h, oh, stride_h, kh, dil_h),
          pw = same_padding(wd, ow, stride_w, kw, dil_w);
      top = ph / 2, bottom = ph - ph / 2, left = pw / 2,
      right = pw - pw / 2;  // TensorFlow's: more below
    }
    const Tensor& y = t(out);
    auto [lo, hi] = range(y, act);
    const int32_t* bias = nullptr;
    if (b >= 0 && !t(b).constant.empty()) {
      if (t(b).type != kInt32 || t(b).constant.size() != static_cast<size_t>(cout) * 4)
        fail("the bias of '" + y.name + "' is not int32, one per output channel");
      bias = reinterpret_cast<const int32_t*>(t(b).constant.data());
    }
    uint32_t groups = depthwise ? cin : 1;
    size_t group_in = depthwise ? 1 : cin, group_out = depthwise ? mult : cout;
    uint32_t flags = depthwise ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0;
    xnn_operator_t made = nullptr;
    if (kind == "qu8" && k.type == kUint8) {
      check(xnn_create_convolution2d_nhwc_qu8(top, right, bottom, left, kh, kw, stride_h, stride_w,
                                              dil_h, dil_w, groups, group_in, group_out, cin, cout,
                                              x.zero_point, x.scale(), k.zero_point, k.scale(),
                                              reinterpret_cast<const uint8_t*>(k.constant.data()),
                                              bias, y.zero_point, y.scale(), lo, hi, flags, &made),
            op, "preparing the uint8 convolution");
      operators.emplace_back(made);
      check(
          xnn_setup_convolution2d_nhwc_qu8(made, 1, h, wd, bytes_of(in), bytes_of(out), pool.get()),
          op, "placing the uint8 convolution");
    } else if (kind == "qs8" && k.type == kInt8) {
      std::vector<float> scales(static_cast<size_t>(cout), k.scale());
      if (k.scales.size() == static_cast<size_t>(cout)) scales = k.scales;
      check(xnn_create_convolution2d_nhwc_qc8(
                top, right, bottom, left, kh, kw, stride_h, stride_w, dil_h, dil_w, groups,
                group_in, group_out, cin, cout, static_cast<int8_t>(x.zero_point), x.scale(),
                scales.data(), reinterpret_cast<const int8_t*>(k.constant.data()), bias,
                static_cast<int8_t>(y.zero_point), y.scale(), static_cast<int8_t>(lo),
                static_cast<int8_t>(hi), flags, &made),
            op, "preparing the int8 convolution");
      operators.emplace_back(made);
      check(xnn_setup_convolution2d_nhwc_qc8(made, 1, h, wd,
                                             reinterpret_cast<const int8_t*>(bytes_of(in)),
                                             reinterpret_cast<int8_t*>(bytes_of(out)), pool.get()),
            op, "placing the int8 convolution");
    } else {
      fail("the convolution computing '" + y.name + "' mixes " + kind +
           " activations with weights of another type");
    }
    steps.push_back([this, made] { xnn_run_operator(made, pool.get()); });
  }

  // As a 1x1 convolution over [1, 1, 1, C] rows: the 4-D input some files
  // feed it needs no reshape, and int8 weights may be per channel.
  void fully_connected(const tflite::Operator& op, const std::string& kind) {
    int in = op.inputs()->Get(0), w = op.inputs()->Get(1), out = op.outputs()->Get(0);
    int b = op.inputs()->size() > 2 ? op.inputs()->Get(2) : -1;
    auto* o = op.builtin_options_as_FullyConnectedOptions();
    int act = o ? o->fused_activation_function() : kNone;
    if (o && o->weights_format() != 0)
      fail("FULLY_CONNECTED for '" + t(out).name + "' has shuffled weights");
    const Tensor& k = t(w);
    if (k.shape.size() != 2 || k.constant.empty())
      fail("FULLY_CONNECTED for '" + t(out).name + "' has no constant [outputs, inputs] weights");
    int cout = k.shape[0], cin = k.shape[1];
    size_t n = t(in).count();
    if (cin <= 0 || n % static_cast<size_t>(cin))
      fail("FULLY_CONNECTED for '" + t(out).name + "' gets " + std::to_string(n) +
           " values, not rows of " + std::to_string(cin));
    int rows = static_cast<int>(n / static_cast<size_t>(cin));
    allocate(out, {rows, cout});
    const Tensor& x = t(in);
    const Tensor& y = t(out);
    auto [lo, hi] = range(y, act);
    const int32_t* bias = nullptr;
    if (b >= 0 && !t(b).constant.empty())
      bias = reinterpret_cast<const int32_t*>(t(b).constant.data());
    xnn_operator_t made = nullptr;
    if (kind == "qu8" && k.type == kUint8) {
      check(xnn_create_convolution2d_nhwc_qu8(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, cin, cout, cin, cout,
                                              x.zero_point, x.scale(), k.zero_point, k.scale(),
                                              reinterpret_cast<const uint8_t*>(k.constant.data()),
                                              bias, y.zero_point, y.scale(), lo, hi, 0, &made),
            op, "preparing the uint8 fully connected layer");
      operators.emplace_back(made);
      check(xnn_setup_convolution2d_nhwc_qu8(made, rows, 1, 1, bytes_of(in), bytes_of(out),
                                             pool.get()),
            op, "placing the uint8 fully connected layer");
    } else if (kind == "qs8" && k.type == kInt8) {
      std::vector<float> scales(static_cast<size_t>(cout), k.scale());
      if (k.scales.size() == static_cast<size_t>(cout)) scales = k.scales;
      check(xnn_create_convolution2d_nhwc_qc8(
                0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, cin, cout, cin, cout,
                static_cast<int8_t>(x.zero_point), x.scale(), scales.data(),
                reinterpret_cast<const int8_t*>(k.constant.data()), bias,
                static_cast<int8_t>(y.zero_point), y.scale(), static_cast<int8_t>(lo),
                static_cast<int8_t>(hi), 0, &made),
            op, "preparing the int8 fully connected layer");
      operators.emplace_back(made);
      check(xnn_setup_convolution2d_nhwc_qc8(made, rows, 1, 1,
                                             reinterpret_cast<const int8_t*>(bytes_of(in)),
                                             reinterpret_cast<int8_t*>(bytes_of(out)), pool.get()),
            op, "placing the int8 fully connected layer");
    } else {
      fail("FULLY_CONNECTED for '" + y.name + "' mixes " + kind +
           " activations with weights of another type");
    }
    steps.push_back([this, made] { xnn_run_operator(made, pool.get()); });
  }

  void add(const tflite::Operator& op, const std::string& kind) {
    if (op.inputs()->size() != 2) fail("ADD without two inputs");
    int a = op.inputs()->Get(0), b = op.inputs()->Get(1), out = op.outputs()->Get(0);
    if (t(a).shape != t(b).shape || !t(a).constant.empty() || !t(b).constant.empty())
      fail("ADD for '" + t(out).name + "' adds tensors of different shapes or a constant");
    auto* o = op.builtin_options_as_AddOptions();
    allocate(out, t(a).shape);
    const Tensor &x = t(a), &z = t(b), &y = t(out);
    auto [lo, hi] = range(y, o ? o->fused_activation_function() : kNone);
    std::vector<size_t> shape(x.shape.begin(), x.shape.end());
    xnn_operator_t made = nullptr;
    if (kind == "qu8") {
      check(xnn_create_add_nd_qu8(x.zero_point, x.scale(), z.zero_point, z.scale(), y.zero_point,
                                  y.scale(), lo, hi, 0, &made),
            op, "preparing ADD");
      operators.emplace_back(made);
      check(xnn_setup_add_nd_qu8(made, shape.size(), shape.data(), shape.size(), shape.data(),
                                 bytes_of(a), bytes_of(b), bytes_of(out), pool.get()),
            op, "placing ADD");
    } else if (kind == "qs8") {
      check(xnn_create_add_nd_qs8(x.zero_point, x.scale(), z.zero_point, z.scale(), y.zero_point,
                                  y.scale(), lo, hi, 0, &made),
            op, "preparing ADD");
      operators.emplace_back(made);
      check(xnn_setup_add_nd_qs8(made, shape.size(), shape.data(), shape.size(), shape.data(),
                                 reinterpret_cast<const int8_t*>(bytes_of(a)),
                                 reinterpret_cast<const int8_t*>(bytes_of(b)),
                                 reinterpret_cast<int8_t*>(bytes_of(out)), pool.get()),
            op, "placing ADD");
    } else {
      fail("ADD for '" + y.name + "' is not on 8-bit tensors");
    }
    steps.push_back([this, made] { xnn_run_operator(made, pool.get()); });
  }

  // AVERAGE_POOL_2D over the whole image, and MEAN over height and width,
  // are a global average: the only pooling these networks do.
  void average(const tflite::Operator& op, int code, const std::string& kind) {
    int in = op.inputs()->Get(0), out = op.outputs()->Get(0);
    const Tensor& x = t(in);
    if (x.shape.size() != 4)
      fail(op_name(code) + " for '" + t(out).name + "' is not over an image");
    int h = x.shape[1], w = x.shape[2], c = x.shape[3], act = kNone;
    bool keep = true;
    if (code == kAveragePool2d) {
      auto* o = op.builtin_options_as_Pool2DOptions();
      if (!o || o->filter_height() != h || o->filter_width() != w)
        fail("AVERAGE_POOL_2D for '" + t(out).name +
             "' pools less than the whole image, which the integer engine cannot run");
      act = o->fused_activation_function();
    } else {
      const Tensor& axes = t(op.inputs()->Get(1));
      bool hw = axes.type == kInt32 && axes.constant.size() == 8 &&
                reinterpret_cast<const int32_t*>(axes.constant.data())[0] == 1 &&
                reinterpret_cast<const int32_t*>(axes.constant.data())[1] == 2;
      if (!hw) fail("MEAN for '" + t(out).name + "' averages other axes than height and width");
      auto* o = op.builtin_options_as_ReducerOptions();
      keep = o && o->keep_dims();
    }
    allocate(out, keep ? std::vector<int>{1, 1, 1, c} : std::vector<int>{1, c});
    const Tensor& y = t(out);
    auto [lo, hi] = range(y, act);
    xnn_operator_t made = nullptr;
    size_t pixels = static_cast<size_t>(h) * w;
    if (kind == "qu8") {
      check(xnn_create_global_average_pooling_nwc_qu8(c, c, c, x.zero_point, x.scale(),
                                                      y.zero_point, y.scale(), lo, hi, 0, &made),
            op, "preparing the average");
      operators.emplace_back(made);
      check(xnn_setup_global_average_pooling_nwc_qu8(made, 1, pixels, bytes_of(in), bytes_of(out),
                                                     pool.get()),
            op, "placing the average");
    } else if (kind == "qs8") {
      check(xnn_create_global_average_pooling_nwc_qs8(c, c, c, static_cast<int8_t>(x.zero_point),
                                                      x.scale(), static_cast<int8_t>(y.zero_point),
                                                      y.scale(), static_cast<int8_t>(lo),
                                                      static_cast<int8_t>(hi), 0, &made),
            op, "preparing the average");
      operators.emplace_back(made);
      check(xnn_setup_global_average_pooling_nwc_qs8(
                made, 1, pixels, reinterpret_cast<const int8_t*>(bytes_of(in)),
                reinterpret_cast<int8_t*>(bytes_of(out)), pool.get()),
            op, "placing the average");
    } else {
      fail(op_name(code) + " for '" + y.name + "' is not on 8-bit tensors");
    }
    steps.push_back([this, made] { xnn_run_operator(made, pool.get()); });
  }

  // The same bytes under another shape: the stored shape when it has one
  // (some files store none), else the input's without its 1s.
  void reshape(const tflite::Operator& op, int code) {
    int in = op.inputs()->Get(0), out = op.outputs()->Get(0);
    Tensor& y = t(out);
    size_t n = t(in).count();
    std::vector<int> shape = y.shape;
    size_t stored = 1;
    bool known = !shape.empty();
    for (int d : shape) known = known && d > 0, stored *= static_cast<size_t>(std::max(d, 0));
    if (!known || stored != n) {
      shape.clear();
      for (int d : t(in).shape)
        if (d != 1) shape.push_back(d);
      shape.insert(shape.begin(), 1);
    }
    if (y.type != t(in).type || y.scale() != t(in).scale() || y.zero_point != t(in).zero_point)
      fail(op_name(code) + " for '" + y.name + "' changes the quantization");
    y.shape = shape;
    y.alias = in;
  }

  void requantize(const tflite::Operator& op, int code) {
    int in = op.inputs()->Get(0), out = op.outputs()->Get(0);
    if (code == kDequantize) t(out).type = kFloat32;
    allocate(out, t(in).shape);
    steps.push_back([this, in, out] {
      const Tensor &x = t(in), &y = t(out);
      const uint8_t* src = bytes_of(in);
      uint8_t* dst = bytes_of(out);
      for (size_t i = 0, n = x.count(); i < n; ++i) {
        int q = x.type == kInt8 ? static_cast<int8_t>(src[i]) : src[i];
        float real = x.real(q);
        if (y.type == kFloat32)
          std::memcpy(dst + 4 * i, &real, 4);
        else
          dst[i] = static_cast<uint8_t>(y.quantize(real));
      }
    });
  }

  // On the few values a classifier ends with, in float. The graph's output
  // stays float: an 8-bit softmax ties the top classes of an unsure photo
  // (steps of 1/256), where the lane wants to rank them and see how unsure.
  void softmax(const tflite::Operator& op) {
    int in = op.inputs()->Get(0), out = op.outputs()->Get(0);
    auto* o = op.builtin_options_as_SoftmaxOptions();
    float beta = o ? o->beta() : 1.f;
    if (out == output) t(out).type = kFloat32;
    allocate(out, t(in).shape);
    steps.push_back([this, in, out, beta] {
      const Tensor &x = t(in), &y = t(out);
      const uint8_t* src = bytes_of(in);
      uint8_t* dst = bytes_of(out);
      size_t n = x.count(), width = static_cast<size_t>(x.shape.back());
      std::vector<float> row(width);
      for (size_t r = 0; r + width <= n; r += width) {
        float top = -INFINITY;
        for (size_t i = 0; i < width; ++i) {
          int q = x.type == kInt8 ? static_cast<int8_t>(src[r + i]) : src[r + i];
          row[i] = beta * x.real(q);
          top = std::max(top, row[i]);
        }
        double sum = 0;
        for (float& v : row) sum += (v = std::exp(v - top));
        for (size_t i = 0; i < width; ++i) {
          float p = static_cast<float>(row[i] / sum);
          if (y.type == kFloat32)
            std::memcpy(dst + 4 * (r + i), &p, 4);
          else
            dst[r + i] = static_cast<uint8_t>(y.quantize(p));
        }
      }
    });
  }

  void logistic(const tflite::Operator& op, const std::string& kind) {
    int in = op.inputs()->Get(0), out = op.outputs()->Get(0);
    allocate(out, t(in).shape);
    const Tensor &x = t(in), &y = t(out);
    if (kind != "qu8" || y.type != kUint8)
      fail("LOGISTIC for '" + y.name + "' is not on uint8 tensors, which the integer engine needs");
    size_t width = static_cast<size_t>(x.shape.back());
    xnn_operator_t made = nullptr;
    check(xnn_create_sigmoid_nc_qu8(width, width, width, x.zero_point, x.scale(), y.zero_point,
                                    y.scale(), 0, 255, 0, &made),
          op, "preparing LOGISTIC");
    operators.emplace_back(made);
    check(
        xnn_setup_sigmoid_nc_qu8(made, x.count() / width, bytes_of(in), bytes_of(out), pool.get()),
        op, "placing LOGISTIC");
    steps.push_back([this, made] { xnn_run_operator(made, pool.get()); });
  }

  std::vector<float> dequantized(int i) {
    const Tensor& x = t(i);
    const uint8_t* src = bytes_of(i);
    std::vector<float> values(x.count());
    for (size_t k = 0; k < values.size(); ++k) {
      if (x.type == kFloat32)
        std::memcpy(&values[k], src + 4 * k, 4);
      else
        values[k] = x.real(x.type == kInt8 ? static_cast<int8_t>(src[k]) : src[k]);
    }
    return values;
  }
};

IntegerNetwork::IntegerNetwork(const std::string& path, int threads, PixelMapping pixels,
                               const std::string& stop_at)
    : graph_(std::make_unique<Graph>()) {
  graph_->path = path;
  graph_->read(threads, pixels, stop_at);
}

IntegerNetwork::~IntegerNetwork() = default;
IntegerNetwork::IntegerNetwork(IntegerNetwork&&) noexcept = default;
IntegerNetwork& IntegerNetwork::operator=(IntegerNetwork&&) noexcept = default;

int IntegerNetwork::input_width() const { return graph_->t(graph_->input).shape[2]; }
int IntegerNetwork::input_height() const { return graph_->t(graph_->input).shape[1]; }
std::vector<int> IntegerNetwork::output_shape() const { return graph_->t(graph_->output).shape; }

std::vector<float> IntegerNetwork::run(const uint8_t* pixels) {
  Graph& g = *graph_;
  uint8_t* in = g.bytes_of(g.input);
  for (size_t i = 0, n = g.t(g.input).count(); i < n; ++i) in[i] = g.lut[i % 3][pixels[i]];
  for (auto& step : g.steps) step();
  return g.dequantized(g.output);
}

std::vector<float> IntegerNetwork::values_of(const std::string& tensor) const {
  int i = graph_->index_of(tensor);
  if (graph_->t(i).bytes.empty() && graph_->t(i).alias < 0)
    graph_->fail("tensor '" + tensor + "' is a constant or computed by no operator");
  return graph_->dequantized(i);
}

std::vector<std::string> IntegerNetwork::plan() const { return graph_->plan; }

}  // namespace ce
