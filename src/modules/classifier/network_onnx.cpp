// ONNX graphs made acceptable to OpenCV: tensor outputs only, float32 only.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <fstream>
#include <opencv2/core.hpp>
#include <set>
#include <stdexcept>

#include "modules/classifier/network_file.h"

namespace ce {
namespace {

using onnx::TensorProto;

bool widen_tensor(TensorProto& t) {
  if (t.data_type() != TensorProto::FLOAT16) return false;
  std::vector<float> values;
  if (!t.raw_data().empty()) {
    const std::string& raw = t.raw_data();
    values.resize(raw.size() / 2);
    for (size_t i = 0; i < values.size(); ++i) {
      uint16_t bits =
          static_cast<uint8_t>(raw[2 * i]) | (static_cast<uint8_t>(raw[2 * i + 1]) << 8);
      values[i] = float(cv::float16_t::fromBits(bits));
    }
  } else {
    for (int32_t bits : t.int32_data())  // ONNX keeps float16 bits in int32_data
      values.push_back(float(cv::float16_t::fromBits(static_cast<uint16_t>(bits))));
  }
  t.clear_int32_data();
  t.set_data_type(TensorProto::FLOAT);
  t.set_raw_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  return true;
}

void widen_type(onnx::TypeProto& type, int& count) {
  if (type.has_tensor_type() && type.tensor_type().elem_type() == TensorProto::FLOAT16) {
    type.mutable_tensor_type()->set_elem_type(TensorProto::FLOAT);
    ++count;
  }
}

int widen_float16(onnx::GraphProto& g) {
  int count = 0;
  for (auto& t : *g.mutable_initializer()) count += widen_tensor(t);
  for (auto& v : *g.mutable_input()) widen_type(*v.mutable_type(), count);
  for (auto& v : *g.mutable_output()) widen_type(*v.mutable_type(), count);
  for (auto& v : *g.mutable_value_info()) widen_type(*v.mutable_type(), count);
  for (auto& n : *g.mutable_node())
    for (auto& a : *n.mutable_attribute()) {
      if (a.has_t()) count += widen_tensor(*a.mutable_t());
      if (n.op_type() == "Cast" && a.name() == "to" && a.i() == TensorProto::FLOAT16) {
        a.set_i(TensorProto::FLOAT);
        ++count;
      }
    }
  return count;
}

bool is_float_tensor(const onnx::ValueInfoProto& v) {
  return v.type().has_tensor_type() && v.type().tensor_type().elem_type() == TensorProto::FLOAT;
}

// The ZipMap's input as a graph output; OpenCV wants its shape: [N, labels].
onnx::ValueInfoProto scores_output(const onnx::GraphProto& g, const onnx::NodeProto& zipmap) {
  for (const auto& v : g.value_info())
    if (v.name() == zipmap.input(0) && v.type().tensor_type().has_shape()) return v;
  int labels = 0;
  for (const auto& a : zipmap.attribute())
    labels = std::max({labels, a.strings_size(), a.ints_size()});
  onnx::ValueInfoProto scores;
  scores.set_name(zipmap.input(0));
  auto* tensor = scores.mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(TensorProto::FLOAT);
  tensor->mutable_shape()->add_dim()->set_dim_param("N");
  tensor->mutable_shape()->add_dim()->set_dim_value(labels);
  return scores;
}

// Keeps only float tensor outputs; a ZipMap's input replaces the ZipMap.
// Returns a description of what changed, or "" when nothing did.
std::string keep_tensor_outputs(onnx::GraphProto& g) {
  std::vector<onnx::ValueInfoProto> outputs;
  std::vector<std::string> dropped;
  for (const auto& out : g.output()) {
    if (is_float_tensor(out)) {
      outputs.push_back(out);
      continue;
    }
    dropped.push_back(out.name());
    for (const auto& n : g.node()) {
      if (n.op_type() != "ZipMap" || n.output_size() == 0 || n.output(0) != out.name()) continue;
      outputs.push_back(scores_output(g, n));
    }
  }
  if (dropped.empty()) return "";
  if (outputs.empty())
    throw std::runtime_error("the model has no float tensor output (only " + dropped[0] +
                             "); OpenCV cannot run it");
  g.clear_output();
  for (auto& o : outputs) *g.add_output() = o;

  // Drop the nodes nothing needs now (the ZipMap, the label lookup).
  std::set<std::string> needed;
  for (const auto& o : g.output()) needed.insert(o.name());
  std::vector<bool> keep(g.node_size(), false);
  for (bool grew = true; grew;) {
    grew = false;
    for (int i = g.node_size() - 1; i >= 0; --i) {
      if (keep[i]) continue;
      for (const auto& o : g.node(i).output())
        if (needed.count(o)) keep[i] = true;
      if (!keep[i]) continue;
      grew = true;
      for (const auto& in : g.node(i).input()) needed.insert(in);
    }
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  for (int i = 0; i < g.node_size(); ++i)
    if (keep[i]) *kept.Add() = g.node(i);
  g.mutable_node()->Swap(&kept);
  std::string what = "replaced non-tensor outputs (";
  for (size_t i = 0; i < dropped.size(); ++i) what += (i ? ", " : "") + dropped[i];
  return what + ") with " + outputs[0].name();
}

}  // namespace

NetworkFile prepare_onnx(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the model file");
  onnx::ModelProto model;
  if (!model.ParseFromIstream(&in)) throw std::runtime_error(path + ": not an ONNX model file");
  NetworkFile file;
  file.path = path;
  file.format = "onnx";
  auto& g = *model.mutable_graph();
  if (int widened = widen_float16(g))
    file.fixes.push_back("widened " + std::to_string(widened) + " float16 tensors to float32");
  if (auto what = keep_tensor_outputs(g); !what.empty()) file.fixes.push_back(what);
  for (const auto& p : model.metadata_props()) file.metadata[p.key()] = p.value();

  std::set<std::string> weights;
  for (const auto& t : g.initializer()) weights.insert(t.name());
  for (const auto& input : g.input()) {
    if (weights.count(input.name())) continue;
    const auto& dims = input.type().tensor_type().shape().dim();
    if (dims.size() == 4) {  // NCHW
      file.input_height = static_cast<int>(dims[2].dim_value());
      file.input_width = static_cast<int>(dims[3].dim_value());
    }
    break;
  }
  file.bytes = model.SerializeAsString();
  return file;
}

}  // namespace ce
