#include "training/package_writer.h"

#include <ctime>
#include <filesystem>
#include <fstream>

#include "common/checksum.h"
#include "modules/classifier/network_xnnpack.h"

namespace fs = std::filesystem;

namespace ce {
namespace {

onnx::TensorProto initializer(const std::string& name, const torch::Tensor& t) {
  torch::Tensor c = t.detach().contiguous().to(torch::kFloat32);
  onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(onnx::TensorProto::FLOAT);
  for (auto d : c.sizes()) p.add_dims(d);
  p.set_raw_data(
      std::string(reinterpret_cast<const char*>(c.data_ptr<float>()), c.numel() * sizeof(float)));
  return p;
}

onnx::NodeProto node(const std::string& op, std::vector<std::string> in, const std::string& out) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(out);
  for (auto& i : in) n.add_input(i);
  n.add_output(out);
  return n;
}

void set_int(onnx::NodeProto& n, const std::string& name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

std::string utc_now() {
  time_t t = time(nullptr);
  tm utc;
  gmtime_r(&t, &utc);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

// Every name in a branch's graph gets the branch's prefix, but its input.
void prefix_names(onnx::GraphProto& g, const std::string& prefix, const std::string& input,
                  const std::string& input_as) {
  auto rename = [&](std::string* name) {
    if (name->empty()) return;
    *name = *name == input ? input_as : prefix + *name;
  };
  for (auto& n : *g.mutable_node()) {
    rename(n.mutable_name());
    for (auto& i : *n.mutable_input()) rename(&i);
    for (auto& o : *n.mutable_output()) rename(&o);
  }
  for (auto& t : *g.mutable_initializer()) rename(t.mutable_name());
}

}  // namespace

Preprocessing pixels_as_they_are(Preprocessing crop) {
  crop.rgb = true;
  crop.mean = cv::Scalar(0, 0, 0);
  crop.scale = 1.0;
  return crop;
}

onnx::ModelProto side_by_side(const std::vector<Backbone>& backbones,
                              const std::vector<Preprocessing>& pres, std::string& embedding) {
  if (backbones.size() == 1) {
    embedding = backbones[0].embedding();
    return backbones[0].graph_to_embedding();
  }
  onnx::ModelProto merged = backbones[0].graph_to_embedding();
  auto& g = *merged.mutable_graph();
  g.clear_node();
  g.clear_initializer();
  g.clear_input();
  auto* input = g.add_input();
  *input = backbones[0].graph_to_embedding().graph().input(0);
  input->set_name("pixels");
  std::vector<std::string> pooled;
  for (size_t k = 0; k < backbones.size(); ++k) {
    const std::string prefix = "b" + std::to_string(k) + "/";
    onnx::ModelProto branch = backbones[k].graph_to_embedding();
    prefix_names(*branch.mutable_graph(), prefix, backbones[k].input_name(), prefix + "input");
    // pixels (RGB, 0-255) -> what this backbone was fed: channel order, then
    // (x - mean) * scale, as one 1x1 convolution.
    const Preprocessing& p = pres[k];
    torch::Tensor w = torch::zeros({3, 3, 1, 1}), b = torch::zeros({3});
    for (int out = 0; out < 3; ++out) {
      int from = p.rgb ? out : 2 - out;
      w[out][from][0][0] = p.scale;
      b[out] = -p.scale * p.mean[out];
    }
    *g.add_initializer() = initializer(prefix + "normalize_weight", w);
    *g.add_initializer() = initializer(prefix + "normalize_bias", b);
    auto normalize =
        node("Conv", {"pixels", prefix + "normalize_weight", prefix + "normalize_bias"},
             prefix + "input");
    auto* kernel = normalize.add_attribute();
    kernel->set_name("kernel_shape");
    kernel->set_type(onnx::AttributeProto::INTS);
    kernel->add_ints(1);
    kernel->add_ints(1);
    *g.add_node() = normalize;
    for (const auto& n : branch.graph().node()) *g.add_node() = n;
    for (const auto& t : branch.graph().initializer()) *g.add_initializer() = t;
    *g.add_node() =
        node("GlobalAveragePool", {prefix + backbones[k].embedding()}, prefix + "pooled");
    pooled.push_back(prefix + "pooled");
  }
  auto concat = node("Concat", pooled, "branches");
  set_int(concat, "axis", 1);
  *g.add_node() = concat;
  embedding = "branches";
  return merged;
}

onnx::ModelProto tails_side_by_side(const std::vector<Backbone>& backbones,
                                    const std::vector<Preprocessing>& pres, std::string& embedding,
                                    nlohmann::json& fronts) {
  onnx::ModelProto merged = backbones.at(0).graph_from_front();
  auto& g = *merged.mutable_graph();
  g.clear_node();
  g.clear_initializer();
  g.clear_input();
  fronts = nlohmann::json::array();
  std::vector<std::string> pooled;
  for (size_t k = 0; k < backbones.size(); ++k) {
    const std::string prefix = "b" + std::to_string(k) + "/";
    onnx::ModelProto branch = backbones[k].graph_from_front();
    prefix_names(*branch.mutable_graph(), prefix, backbones[k].front_output(), prefix + "front");
    // OpenCV sizes a depthwise convolution from its input's channels.
    auto* in = g.add_input();
    in->set_name(prefix + "front");
    auto* type = in->mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx::TensorProto::FLOAT);
    std::vector<int> nhwc =
        IntegerNetwork(backbones[k].file(), 1, {}, backbones[k].front_tensor()).output_shape();
    for (int d : {1, nhwc.back(), nhwc.size() == 4 ? nhwc[1] : 1, nhwc.size() == 4 ? nhwc[2] : 1})
      type->mutable_shape()->add_dim()->set_dim_value(d);
    for (const auto& n : branch.graph().node()) *g.add_node() = n;
    for (const auto& t : branch.graph().initializer()) *g.add_initializer() = t;
    // The tail of a frozen front is nothing: its embedding is the input.
    std::string branch_embedding = backbones[k].embedding() == backbones[k].front_output()
                                       ? prefix + "front"
                                       : prefix + backbones[k].embedding();
    if (backbones.size() == 1) {
      embedding = branch_embedding;  // pooled as the package says (avg or avgmax)
    } else {
      *g.add_node() = node("GlobalAveragePool", {branch_embedding}, prefix + "pooled");
      pooled.push_back(prefix + "pooled");
    }
    const Preprocessing& p = pres[k];
    fronts.push_back({{"file", backbones[k].file()},
                      {"tensor", backbones[k].front_tensor()},
                      {"input", prefix + "front"},
                      {"mean", {p.mean[0], p.mean[1], p.mean[2]}},
                      {"scale", p.scale}});
  }
  if (backbones.size() > 1) {
    auto concat = node("Concat", pooled, "branches");
    set_int(concat, "axis", 1);
    *g.add_node() = concat;
    embedding = "branches";
  }
  return merged;
}

nlohmann::json write_package(const std::string& dir, onnx::ModelProto model,
                             const std::string& embedding, const PackageContents& c) {
  fs::create_directories(dir);
  auto& g = *model.mutable_graph();
  g.set_name(c.name + " iteration " + std::to_string(c.iteration));
  // A package's own graph (enrollment): keep it, drop the old head's weights.
  bool has_head = false;
  for (const auto& n : g.node()) has_head |= n.output(0) == "probabilities";
  if (has_head) {
    google::protobuf::RepeatedPtrField<onnx::TensorProto> kept;
    for (const auto& t : g.initializer())
      if (t.name() != "head_weight" && t.name() != "head_bias") *kept.Add() = t;
    g.mutable_initializer()->Swap(&kept);
    google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
    for (const auto& n : g.node()) {
      *nodes.Add() = n;
      if (n.output(0) == embedding) break;
    }
    g.mutable_node()->Swap(&nodes);
    g.clear_output();
  }
  if (c.pooling == "avgmax") {
    *g.add_node() = node("GlobalAveragePool", {embedding}, "pooled_mean");
    *g.add_node() = node("GlobalMaxPool", {embedding}, "pooled_max");
    auto concat = node("Concat", {"pooled_mean", "pooled_max"}, "pooled");
    set_int(concat, "axis", 1);
    *g.add_node() = concat;
  } else {
    *g.add_node() = node("GlobalAveragePool", {embedding}, "pooled");
  }
  auto flatten = node("Flatten", {"pooled"}, kEmbeddingOutput);
  set_int(flatten, "axis", 1);
  *g.add_node() = flatten;
  auto gemm = node("Gemm", {kEmbeddingOutput, "head_weight", "head_bias"}, "logits");
  set_int(gemm, "transB", 1);
  *g.add_node() = gemm;
  auto softmax = node("Softmax", {"logits"}, "probabilities");
  set_int(softmax, "axis", 1);
  *g.add_node() = softmax;
  *g.add_initializer() = initializer("head_weight", c.head_weight);
  *g.add_initializer() = initializer("head_bias", c.head_bias);
  auto* out = g.add_output();
  out->set_name("probabilities");
  auto* tensor = out->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  tensor->mutable_shape()->add_dim()->set_dim_param("N");
  tensor->mutable_shape()->add_dim()->set_dim_value(static_cast<int64_t>(c.tags.size()));
  // Other runtimes get the labels and preprocessing from the file alone.
  model.clear_metadata_props();
  auto meta = [&](const std::string& k, const std::string& v) {
    auto* p = model.add_metadata_props();
    p->set_key(k);
    p->set_value(v);
  };
  std::string labels;
  for (auto& t : c.tags) labels += t + "\n";
  meta("checkout-edge.labels", labels);
  meta("checkout-edge.preprocessing", c.preprocessing.to_json().dump());
  meta("Image.BitmapPixelFormat", c.preprocessing.rgb ? "Rgb8" : "Bgr8");
  model.set_producer_name("checkout-edge");
  {
    std::ofstream f(fs::path(dir) / "model.onnx", std::ios::binary);
    if (!model.SerializeToOstream(&f))
      throw std::runtime_error(dir + "/model.onnx: cannot write the model");
  }
  std::ofstream(fs::path(dir) / "labels.txt") << labels;

  // Pooled embeddings of training images, a few per tag: enrollment retrains
  // the head on them without the original photos.
  {
    torch::Tensor rows = c.exemplars.contiguous().to(torch::kFloat32);
    torch::Tensor tags = c.exemplar_tags.to(torch::kFloat32).unsqueeze(1);
    torch::Tensor both = torch::cat({tags, rows}, 1).contiguous();
    std::ofstream f(fs::path(dir) / "exemplars.bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(both.data_ptr<float>()),
            static_cast<std::streamsize>(both.numel() * sizeof(float)));
  }
  // The fronts' files travel in the package, so it is whole as deployed.
  nlohmann::json fronts = c.fronts;
  for (size_t k = 0; k < fronts.size(); ++k) {
    std::string name = "front-" + std::to_string(k) + ".tflite";
    fs::path from = fronts[k]["file"].get<std::string>(), to = fs::path(dir) / name;
    if (!fs::exists(to) || !fs::equivalent(from, to)) {
      fs::copy_file(from, to, fs::copy_options::overwrite_existing);
      // As the package's other files (the original may be read-only).
      fs::permissions(to, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                              fs::perms::others_read);
    }
    fronts[k]["file"] = name;
  }
  nlohmann::json package = c.info;
  if (!fronts.empty()) package["fronts"] = fronts;
  package.update({{"format", "checkout-edge-model"},
                  {"formatVersion", 1},
                  {"name", c.name},
                  {"iteration", c.iteration},
                  {"created", utc_now()},
                  {"model", "model.onnx"},
                  {"labels", "labels.txt"},
                  {"embeddingOutput", kEmbeddingOutput},
                  {"embeddingTensor", embedding},
                  {"pooling", c.pooling},
                  {"exemplars", {{"file", "exemplars.bin"}, {"dimension", c.exemplars.size(1)}}},
                  {"preprocessing", c.preprocessing.to_json()}});
  std::ofstream(fs::path(dir) / "package.json") << package.dump(2) << "\n";
  return package;
}

void finish_package(const std::string& dir, nlohmann::json package) {
  nlohmann::json sums = nlohmann::json::object();
  for (auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() != "package.json")
      sums[e.path().filename().string()] = sha256_of_file(e.path().string());
  package["checksums"] = sums;
  std::ofstream(fs::path(dir) / "package.json") << package.dump(2) << "\n";
}

Exemplars read_exemplars(const std::string& dir) {
  std::ifstream in(fs::path(dir) / "package.json");
  auto package = nlohmann::json::parse(in, nullptr, false);
  if (!package.is_object() || !package.contains("exemplars"))
    throw std::runtime_error(dir +
                             " was not made by `checkout-edge train`: it has no exemplars "
                             "to enroll against");
  int64_t dim = package["exemplars"]["dimension"];
  std::string file = (fs::path(dir) / package["exemplars"]["file"].get<std::string>()).string();
  std::ifstream f(file, std::ios::binary);
  if (!f) throw std::runtime_error(file + ": missing; the package is incomplete");
  std::vector<float> data;
  f.seekg(0, std::ios::end);
  auto bytes = static_cast<size_t>(f.tellg());
  f.seekg(0);
  data.resize(bytes / sizeof(float));
  f.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(bytes));
  if (data.empty() || data.size() % (dim + 1))
    throw std::runtime_error(file + ": damaged (its size does not fit the dimension)");
  auto all = torch::from_blob(data.data(), {static_cast<int64_t>(data.size() / (dim + 1)), dim + 1})
                 .clone();
  return {all.narrow(1, 1, dim).contiguous(), all.select(1, 0).to(torch::kInt64)};
}

}  // namespace ce
