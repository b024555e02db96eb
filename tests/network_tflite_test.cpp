// TensorFlow Lite files as their authors committed them: each shared
// MobileNet loads, sees what real photos show, and agrees with the integer
// model run by an independent engine (Arm NN's reference backend, which
// reads the unchanged .tflite); damaged files get errors that say so.
#include <gtest/gtest.h>

#include <armnn/ArmNN.hpp>
#include <armnnTfLiteParser/ITfLiteParser.hpp>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "modules/classifier/model.h"
#include "modules/classifier/network_file.h"
#include "modules/classifier/preprocess.h"
#include "tflite_schema_generated.h"
#include "vision_support.h"

namespace fs = std::filesystem;
using namespace ce::vision_testing;
using nlohmann::json;

namespace {

std::string mobilenets() { return shared_dir() + "/models/imagenet-mobilenets-tflite/"; }
std::string mobilenet(const std::string& file) { return mobilenets() + file; }

const std::vector<std::string> kClassifiers{
    "mobilenet_v2_1.0_224_quant.tflite", "tf2_mobilenet_v2_1.0_224_ptq.tflite",
    "mobilenet_edgetpu_0.75_224_post_training_quant.tflite"};

ce::Model imagenet_model(const std::string& file) {
  return ce::Model::load(
      json{{"file", mobilenet(file)}, {"labels", mobilenet("imagenet_labels.txt")}});
}

std::vector<std::string> top(const ce::Model& m, const std::string& photo, size_t n) {
  auto p = m.classify(cv::imread(photo, cv::IMREAD_COLOR));
  std::vector<std::string> names;
  for (size_t i = 0; i < n && i < p.size(); ++i) names.push_back(p[i].tag_name);
  return names;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// Every k-th photo of the validation list: many products, none trained on.
std::vector<std::string> spread_photos(size_t count) {
  std::vector<std::string> all = photos("", 1000);
  std::vector<std::string> out;
  for (size_t i = 0; i < count && i * all.size() / count < all.size(); ++i)
    out.push_back(all[i * all.size() / count]);
  return out;
}

// The integer model, run unchanged by Arm NN's reference backend.
class ArmNnModel {
 public:
  explicit ArmNnModel(const std::string& file) {
    armnn::IRuntime::CreationOptions options;
    options.m_DynamicBackendsPath = ARMNN_BACKENDS_DIR;
    runtime_ = armnn::IRuntime::Create(options);
    auto parser = armnnTfLiteParser::ITfLiteParser::Create();
    armnn::INetworkPtr network = parser->CreateNetworkFromBinaryFile(file.c_str());
    auto in_name = parser->GetSubgraphInputTensorNames(0).at(0);
    auto out_name = parser->GetSubgraphOutputTensorNames(0).at(0);
    input_ = parser->GetNetworkInputBindingInfo(0, in_name);
    output_ = parser->GetNetworkOutputBindingInfo(0, out_name);
    auto optimised = armnn::Optimize(*network, {armnn::Compute::CpuRef}, runtime_->GetDeviceSpec());
    if (runtime_->LoadNetwork(id_, std::move(optimised)) != armnn::Status::Success)
      throw std::runtime_error("Arm NN cannot load " + file);
  }

  // Top-1 for an RGB 224 x 224 crop fed as the integer model expects it.
  int top1(const cv::Mat& rgb_crop) {
    armnn::TensorInfo in_info = input_.second;
    std::vector<uint8_t> pixels(rgb_crop.total() * 3);
    std::memcpy(pixels.data(), rgb_crop.data, pixels.size());
    if (in_info.GetDataType() == armnn::DataType::QAsymmS8)
      for (auto& p : pixels) p = static_cast<uint8_t>(static_cast<int>(p) - 128);
    std::vector<uint8_t> out(output_.second.GetNumElements() * output_.second.GetNumBytes() /
                             output_.second.GetNumElements());
    armnn::InputTensors inputs{{input_.first, armnn::ConstTensor(in_info, pixels.data())}};
    armnn::OutputTensors outputs{{output_.first, armnn::Tensor(output_.second, out.data())}};
    if (runtime_->EnqueueWorkload(id_, inputs, outputs) != armnn::Status::Success)
      throw std::runtime_error("Arm NN failed to run");
    int best = 0;
    const bool is_signed = output_.second.GetDataType() == armnn::DataType::QAsymmS8;
    auto at = [&](size_t i) { return is_signed ? static_cast<int8_t>(out[i]) : out[i]; };
    for (size_t i = 1; i < output_.second.GetNumElements(); ++i)
      if (at(i) > at(best)) best = static_cast<int>(i);
    return best;
  }

 private:
  armnn::IRuntimePtr runtime_{nullptr, nullptr};
  armnn::NetworkId id_ = 0;
  armnn::BindingPointInfo input_, output_;
};

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::path(testing::TempDir()) / (name + "-" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// A small TensorFlow Lite graph written with flatc's builder, for the
// operators the shared files do not use.
class TinyModel {
 public:
  TinyModel() { buffers_.push_back(tflite::CreateBuffer(fbb_)); }

  int tensor(const std::string& name, std::vector<int> shape, int type = 0,
             const std::vector<uint8_t>& data = {}, std::vector<float> scale = {},
             std::vector<int64_t> zero = {}) {
    uint32_t buffer = 0;
    if (!data.empty()) {
      buffer = static_cast<uint32_t>(buffers_.size());
      buffers_.push_back(tflite::CreateBuffer(fbb_, fbb_.CreateVector(data)));
    }
    flatbuffers::Offset<tflite::QuantizationParameters> q = 0;
    if (!scale.empty())
      q = tflite::CreateQuantizationParameters(fbb_, 0, 0, fbb_.CreateVector(scale),
                                               fbb_.CreateVector(zero), 0);
    tensors_.push_back(tflite::CreateTensor(fbb_, fbb_.CreateVector(shape),
                                            static_cast<int8_t>(type), buffer,
                                            fbb_.CreateString(name), q));
    return static_cast<int>(tensors_.size() - 1);
  }
  int floats(const std::string& name, std::vector<int> shape, const std::vector<float>& v) {
    std::vector<uint8_t> bytes(v.size() * 4);
    std::memcpy(bytes.data(), v.data(), bytes.size());
    return tensor(name, shape, 0, bytes);
  }
  int ints(const std::string& name, const std::vector<int32_t>& v) {
    std::vector<uint8_t> bytes(v.size() * 4);
    std::memcpy(bytes.data(), v.data(), bytes.size());
    return tensor(name, {static_cast<int>(v.size())}, 2, bytes);
  }
  void op(int code, std::vector<int> in, std::vector<int> out,
          tflite::BuiltinOptions type = tflite::BuiltinOptions_NONE,
          flatbuffers::Offset<void> options = 0) {
    codes_.push_back(
        tflite::CreateOperatorCode(fbb_, static_cast<int8_t>(std::min(code, 127)), 0, 1, code));
    ops_.push_back(tflite::CreateOperator(fbb_, static_cast<uint32_t>(codes_.size() - 1),
                                          fbb_.CreateVector(in), fbb_.CreateVector(out), type,
                                          options));
  }
  flatbuffers::FlatBufferBuilder& builder() { return fbb_; }

  std::string file(const fs::path& path, int input, int output) {
    auto graph = tflite::CreateSubGraph(fbb_, fbb_.CreateVector(tensors_),
                                        fbb_.CreateVector(std::vector<int>{input}),
                                        fbb_.CreateVector(std::vector<int>{output}),
                                        fbb_.CreateVector(ops_), fbb_.CreateString("main"));
    auto model = tflite::CreateModel(fbb_, 3, fbb_.CreateVector(codes_),
                                     fbb_.CreateVector(std::vector{graph}),
                                     fbb_.CreateString("tiny"), fbb_.CreateVector(buffers_));
    tflite::FinishModelBuffer(fbb_, model);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(fbb_.GetBufferPointer()), fbb_.GetSize());
    return path.string();
  }

 private:
  flatbuffers::FlatBufferBuilder fbb_;
  std::vector<flatbuffers::Offset<tflite::Buffer>> buffers_;
  std::vector<flatbuffers::Offset<tflite::Tensor>> tensors_;
  std::vector<flatbuffers::Offset<tflite::OperatorCode>> codes_;
  std::vector<flatbuffers::Offset<tflite::Operator>> ops_;
};

}  // namespace

TEST(TfLite, EverySharedMobileNetLoadsWithItsOwnPreprocessing) {
  for (const auto& file : kClassifiers) {
    SCOPED_TRACE(file);
    ce::Model m = imagenet_model(file);
    EXPECT_EQ(m.labels().size(), 1001u);
    EXPECT_EQ(m.input_width(), 224);
    const auto& pre = m.package().preprocessing;
    EXPECT_TRUE(pre.rgb);
    EXPECT_EQ(pre.resize, "shorter-side");
    EXPECT_EQ(pre.resize_to, 256);
    // A pixel is fed as the integer model takes it: real = scale x (pixel -
    // zero point), read here straight from the file's input tensor.
    std::string bytes = read_bytes(mobilenet(file));
    const tflite::SubGraph* g = tflite::GetModel(bytes.data())->subgraphs()->Get(0);
    const tflite::QuantizationParameters* q =
        g->tensors()->Get(g->inputs()->Get(0))->quantization();
    EXPECT_FLOAT_EQ(static_cast<float>(pre.scale), q->scale()->Get(0));
    EXPECT_DOUBLE_EQ(pre.mean[0], static_cast<double>(q->zero_point()->Get(0)));
    if (file.find("mobilenet_v2") != std::string::npos) {  // x / 127.5 - 1, near enough
      EXPECT_NEAR(pre.scale, 1 / 127.5, 5e-5);
      EXPECT_NEAR(pre.mean[0], 127.5, 0.6);
    }
    EXPECT_NE(m.describe().dump().find("converted from TensorFlow Lite"), std::string::npos)
        << m.describe().dump();
  }
  // The embedding extractor has no classifier: its output is the 1024 features.
  ce::NetworkFile v1 =
      ce::prepare_network(mobilenet("mobilenet_v1_1.0_224_quant_embedding_extractor.tflite"));
  cv::dnn::Net net = ce::read_network(v1);
  cv::Mat photo = cv::imread(photos("Banana", 1).at(0), cv::IMREAD_COLOR);
  ce::Preprocessing pre;
  pre.resize = "shorter-side";
  pre.rgb = true;
  pre.mean = cv::Scalar(128, 128, 128);
  pre.scale = 1 / 128.0;
  net.setInput(ce::blob_for_network(ce::crop_for_network(photo, pre, 224, 224), pre));
  cv::Mat features = net.forward();
  EXPECT_EQ(features.total(), 1024u);
  EXPECT_GT(cv::norm(features), 1.0) << "the features are not all zero";
}

TEST(TfLite, TheTopFiveHoldWhatTheStorePhotoShows) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"Fruit/Banana/Banana_001", "banana"},
      {"Granny-Smith/Granny-Smith_001", "Granny Smith"},
      {"Fruit/Lemon/Lemon_001", "lemon"}};
  for (const auto& file : kClassifiers) {
    ce::Model m = imagenet_model(file);
    for (const auto& [photo, label] : cases) {
      auto found = photos(photo, 1);
      ASSERT_EQ(found.size(), 1u) << photo;
      auto names = top(m, found[0], 5);
      EXPECT_NE(std::find(names.begin(), names.end(), label), names.end())
          << file << " on " << photo << ": " << joined(names);
    }
  }
}

// Produce, the lane's business: photos of things ImageNet has names for.
// (On milk and juice cartons, which it has no class for, the float and
// integer models split near-ties: 22 of 24 agree on an even spread of val.)
TEST(TfLite, TheFloatNetworkAgreesWithTheIntegerModelRunByArmNn) {
  std::vector<std::string> produce;
  for (const auto& p : photos("", 1000))
    if (p.find("/Fruit/") != std::string::npos || p.find("/Vegetables/") != std::string::npos)
      produce.push_back(p);
  std::vector<std::string> sample;
  const size_t n = 20;
  for (size_t i = 0; i < n; ++i) sample.push_back(produce.at(i * produce.size() / n));

  // Arm NN's reference backend takes seconds a photo: one file per core.
  struct Outcome {
    int agree = 0;
    std::string disagreements, error;
  };
  const std::vector<std::string> files{"mobilenet_v2_1.0_224_quant.tflite",
                                       "tf2_mobilenet_v2_1.0_224_ptq.tflite"};
  std::vector<Outcome> outcomes(files.size());
  std::vector<std::thread> workers;
  for (size_t f = 0; f < files.size(); ++f)
    workers.emplace_back([&, f] {
      try {
        ce::Model ours = imagenet_model(files[f]);
        ArmNnModel reference(mobilenet(files[f]));
        for (const auto& photo : sample) {
          cv::Mat img = cv::imread(photo, cv::IMREAD_COLOR);
          cv::Mat crop = ce::crop_for_network(img, ours.package().preprocessing, 224, 224).clone();
          cv::cvtColor(crop, crop, cv::COLOR_BGR2RGB);
          int theirs = reference.top1(crop);
          int mine = ours.classify(img).at(0).tag_id;
          outcomes[f].agree += theirs == mine;
          if (theirs != mine)
            outcomes[f].disagreements += fs::path(photo).filename().string() + ": " +
                                         ours.labels()[mine] + " / " + ours.labels()[theirs] + "; ";
        }
      } catch (const std::exception& e) {
        outcomes[f].error = e.what();
      }
    });
  for (auto& w : workers) w.join();
  for (size_t f = 0; f < files.size(); ++f) {
    SCOPED_TRACE(files[f]);
    EXPECT_EQ(outcomes[f].error, "");
    EXPECT_GE(outcomes[f].agree, static_cast<int>(std::ceil(0.95 * n)))
        << outcomes[f].agree << "/" << n << " agree; " << outcomes[f].disagreements;
  }
}

TEST(TfLite, ADamagedOrWrongFileSaysWhatIsWrong) {
  fs::path dir = temp_dir("tflite-bad");
  std::string good = read_bytes(mobilenet("mobilenet_v2_1.0_224_quant.tflite"));
  auto expect_error = [&](const std::string& name, const std::string& bytes,
                          const std::string& says) {
    fs::path f = dir / name;
    std::ofstream(f, std::ios::binary) << bytes;
    try {
      ce::prepare_network(f.string());
      ADD_FAILURE() << name << " loaded";
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(f.string()), std::string::npos) << e.what();
    }
  };
  expect_error("truncated.tflite", good.substr(0, good.size() / 2), "truncated");
  expect_error("empty.tflite", "", "not a TensorFlow Lite model");
  expect_error("labels.tflite", read_bytes(mobilenet("imagenet_labels.txt")),
               "not a TensorFlow Lite model");
  std::string onnx = read_bytes(squeezenet("SqueezeNet_fp32.onnx"));
  expect_error("squeezenet.tflite", onnx, "not a TensorFlow Lite model");
}

TEST(TfLite, HardSwishMulLogisticConcatenationReshapeAndFullyConnectedComputeAsTensorFlowDoes) {
  fs::path dir = temp_dir("tflite-tiny");
  TinyModel t;
  auto& b = t.builder();
  int x = t.tensor("x", {1, 2, 2, 3});
  int hs = t.tensor("hs", {1, 2, 2, 3});
  t.op(117, {x}, {hs});  // HARD_SWISH
  int gain = t.floats("gain", {3}, {0.5f, -1.f, 2.f});
  int m = t.tensor("m", {1, 2, 2, 3});
  t.op(18, {hs, gain}, {m}, tflite::BuiltinOptions_MulOptions,
       tflite::CreateMulOptions(b, 0).Union());
  int s = t.tensor("s", {1, 2, 2, 3});
  t.op(14, {m}, {s});  // LOGISTIC
  int c = t.tensor("c", {1, 2, 2, 6});
  t.op(2, {s, x}, {c}, tflite::BuiltinOptions_ConcatenationOptions,
       tflite::CreateConcatenationOptions(b, 3, 0).Union());
  int flat = t.tensor("flat", {1, 24});
  t.op(22, {c, t.ints("flat_shape", {1, 24})}, {flat}, tflite::BuiltinOptions_ReshapeOptions,
       tflite::CreateReshapeOptions(b, b.CreateVector(std::vector<int>{1, 24})).Union());
  // uint8 weights with a zero point, int32 bias: real = scale x (q - zero).
  std::vector<uint8_t> wq(2 * 24);
  for (size_t i = 0; i < wq.size(); ++i) wq[i] = static_cast<uint8_t>((i * 37) % 256);
  int w = t.tensor("w", {2, 24}, 3, wq, {0.02f}, {128});
  std::vector<int32_t> bias_q{50, -25};
  std::vector<uint8_t> bias_bytes(8);
  std::memcpy(bias_bytes.data(), bias_q.data(), 8);
  int bias = t.tensor("bias", {2}, 2, bias_bytes, {0.01f}, {0});
  int out = t.tensor("out", {1, 2});
  t.op(9, {flat, w, bias}, {out}, tflite::BuiltinOptions_FullyConnectedOptions,
       tflite::CreateFullyConnectedOptions(b, 0, 0, false).Union());
  std::string file = t.file(dir / "tiny.tflite", x, out);

  // The same computation by hand, in TensorFlow's NHWC order.
  std::vector<float> in(12);
  for (size_t i = 0; i < in.size(); ++i) in[i] = -3.5f + 0.6f * static_cast<float>(i);
  const float g[3] = {0.5f, -1.f, 2.f};
  std::vector<float> cat;
  for (int p = 0; p < 4; ++p) {
    for (int ch = 0; ch < 3; ++ch) {
      float v = in[p * 3 + ch];
      float h = v * std::min(std::max(v + 3, 0.f), 6.f) / 6;
      cat.push_back(1 / (1 + std::exp(-h * g[ch])));
    }
    for (int ch = 0; ch < 3; ++ch) cat.push_back(in[p * 3 + ch]);
  }
  float expected[2];
  for (int o = 0; o < 2; ++o) {
    expected[o] = 0.01f * static_cast<float>(bias_q[o]);
    for (int k = 0; k < 24; ++k) expected[o] += 0.02f * (wq[o * 24 + k] - 128.f) * cat[k];
  }

  cv::dnn::Net net = ce::read_network(ce::prepare_network(file));
  int dims[] = {1, 3, 2, 2};
  cv::Mat blob(4, dims, CV_32F);
  for (int y = 0; y < 2; ++y)
    for (int xx = 0; xx < 2; ++xx)
      for (int ch = 0; ch < 3; ++ch)
        blob.ptr<float>()[(ch * 2 + y) * 2 + xx] = in[(y * 2 + xx) * 3 + ch];
  net.setInput(blob);
  cv::Mat result = net.forward();
  ASSERT_EQ(result.total(), 2u);
  EXPECT_NEAR(result.ptr<float>()[0], expected[0], 1e-4);
  EXPECT_NEAR(result.ptr<float>()[1], expected[1], 1e-4);
}

TEST(TfLite, AnOperatorItCannotRunIsNamedWithItsTensor) {
  fs::path dir = temp_dir("tflite-unknown");
  TinyModel t;
  int x = t.tensor("image", {1, 4, 4, 3});
  int padded = t.tensor("the_padded_image", {1, 6, 6, 3});
  t.op(34, {x, t.ints("paddings", {0, 0, 1, 1, 1, 1, 0, 0})}, {padded});  // PAD
  std::string file = t.file(dir / "pad.tflite", x, padded);
  try {
    ce::prepare_network(file);
    FAIL() << "a PAD operator was accepted";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("PAD"), std::string::npos) << what;
    EXPECT_NE(what.find("the_padded_image"), std::string::npos) << what;
    EXPECT_NE(what.find(file), std::string::npos) << what;
  }
}
