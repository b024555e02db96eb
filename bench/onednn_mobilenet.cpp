// oneDNN, the other integer engine Debian has, on MobileNet V1's layers:
// the 27 convolutions of mobilenet_v1_1.0_224 (the published architecture,
// 568 M multiply-adds) as uint8 activations x int8 weights, NHWC, with
// oneDNN's own weight layout, timed end to end the way bench_integer_engine
// times XNNPACK running the shared V1 file. Weights are random: only the
// speed is measured. Threads: OMP_NUM_THREADS (oneDNN is built with OpenMP).
//
//   OMP_NUM_THREADS=1 build/bench/bench_onednn_mobilenet [RUNS] [--zero-points]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dnnl.hpp>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

struct Layer {
  int in_channels, out_channels, kernel, stride;
  bool depthwise;
};

// MobileNet V1 1.0 at 224: a 3x3 convolution, then 13 depthwise + pointwise pairs.
std::vector<Layer> mobilenet_v1() {
  std::vector<Layer> layers{{3, 32, 3, 2, false}};
  const int pairs[][3] = {{32, 64, 1},    {64, 128, 2},  {128, 128, 1}, {128, 256, 2},
                          {256, 256, 1},  {256, 512, 2}, {512, 512, 1}, {512, 512, 1},
                          {512, 512, 1},  {512, 512, 1}, {512, 512, 1}, {512, 1024, 2},
                          {1024, 1024, 1}};
  for (const auto& p : pairs) {
    layers.push_back({p[0], p[0], 3, p[2], true});
    layers.push_back({p[0], p[1], 1, 1, false});
  }
  return layers;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 30;
  bool zero_points = argc > 2 && std::string(argv[2]) == "--zero-points";
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  std::mt19937 random(7);
  std::vector<dnnl::primitive> steps;
  std::vector<std::unordered_map<int, dnnl::memory>> arguments;
  int size = 224;
  dnnl::memory src(dnnl::memory::desc({1, 3, size, size}, dt::u8, tag::nhwc), engine);
  dnnl::memory first = src;
  for (const Layer& l : mobilenet_v1()) {
    int out = (size + l.stride - 1) / l.stride;
    int total_pad = std::max((out - 1) * l.stride + l.kernel - size, 0);
    dnnl::memory::dims pad_l{total_pad / 2, total_pad / 2},
        pad_r{total_pad - total_pad / 2, total_pad - total_pad / 2};
    dnnl::memory::desc src_md({1, l.in_channels, size, size}, dt::u8, tag::nhwc);
    dnnl::memory::desc dst_md({1, l.out_channels, out, out}, dt::u8, tag::nhwc);
    dnnl::memory::dims weight_dims =
        l.depthwise ? dnnl::memory::dims{l.in_channels, 1, 1, l.kernel, l.kernel}
                    : dnnl::memory::dims{l.out_channels, l.in_channels, l.kernel, l.kernel};
    dnnl::memory::desc any_weights(weight_dims, dt::s8, tag::any);
    dnnl::memory::desc bias_md({l.out_channels}, dt::s32, tag::x);
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference,
                                      dnnl::algorithm::convolution_direct, src_md, any_weights,
                                      bias_md, dst_md, {l.stride, l.stride}, pad_l, pad_r);
    dnnl::primitive_attr attr;
    attr.set_output_scales(0, {0.02f});  // requantization, as TFLite's uint8 layers do
    // TFLite's uint8 activations have zero points (weights too, which
    // oneDNN cannot take: those files would need their weights widened).
    if (zero_points) {
      attr.set_zero_points(DNNL_ARG_SRC, 0, {128});
      attr.set_zero_points(DNNL_ARG_DST, 0, {3});
    }
    dnnl::post_ops relu6;
    relu6.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 255.f);
    attr.set_post_ops(relu6);
    dnnl::convolution_forward::primitive_desc pd(d, attr, engine);
    // Weights reordered once into the layout oneDNN chose, as a runtime would.
    dnnl::memory plain(
        dnnl::memory::desc(weight_dims, dt::s8, l.depthwise ? tag::goihw : tag::oihw), engine);
    auto* w = static_cast<int8_t*>(plain.get_data_handle());
    for (size_t i = 0; i < plain.get_desc().get_size(); ++i)
      w[i] = static_cast<int8_t>(random() % 255 - 127);
    dnnl::memory weights(pd.weights_desc(), engine);
    dnnl::reorder(plain, weights).execute(stream, plain, weights);
    dnnl::memory bias(bias_md, engine), dst(dst_md, engine);
    std::fill_n(static_cast<int32_t*>(bias.get_data_handle()), l.out_channels, 0);
    steps.emplace_back(dnnl::convolution_forward(pd));
    arguments.push_back({{DNNL_ARG_SRC, src},
                         {DNNL_ARG_WEIGHTS, weights},
                         {DNNL_ARG_BIAS, bias},
                         {DNNL_ARG_DST, dst}});
    src = dst;
    size = out;
  }
  auto* pixels = static_cast<uint8_t*>(first.get_data_handle());
  for (int i = 0; i < 224 * 224 * 3; ++i) pixels[i] = static_cast<uint8_t>(random());
  auto run = [&] {
    for (size_t i = 0; i < steps.size(); ++i) steps[i].execute(stream, arguments[i]);
    stream.wait();
  };
  run();
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf(
      "oneDNN %s, MobileNet V1's 27 convolutions (u8 x s8%s): p50 %.1f ms, p90 %.1f ms (%d "
      "runs)\n",
      dnnl_version()->cpu_runtime == DNNL_RUNTIME_OMP ? "(OpenMP)" : "",
      zero_points ? ", activation zero points" : "", ms[ms.size() / 2], ms[ms.size() * 9 / 10],
      runs);
}
