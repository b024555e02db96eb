// Writes a model package: model.onnx (the backbone up to its embedding,
// the fine-tuned tail's weights, and the new head ending in "probabilities"),
// labels.txt, exemplars for enrollment, and package.json with the
// preprocessing, iteration, data summary, metrics and checksums.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "modules/classifier/model_package.h"
#include "training/backbone.h"

namespace ce {

struct PackageContents {
  std::string name;
  int iteration = 1;
  std::vector<std::string> tags;
  Preprocessing preprocessing;
  torch::Tensor head_weight, head_bias;            // [tags, C], [tags]
  std::string pooling = "avg";                     // "avg" or "avgmax", as trained
  torch::Tensor exemplars;                         // [rows, C] pooled embeddings
  torch::Tensor exemplar_tags;                     // [rows] tag ids
  nlohmann::json info = nlohmann::json::object();  // training, metrics, parent...
  // Fronts run on the integer engine, as package.json lists them, each
  // "file" the path to copy it from (see tails_side_by_side).
  nlohmann::json fronts = nlohmann::json::array();
};

// The name of the tensor holding the pooled embedding in model.onnx.
inline const char* const kEmbeddingOutput = "features";

// Writes into `dir` (created; files replaced). Returns package.json as written.
nlohmann::json write_package(const std::string& dir, onnx::ModelProto graph_to_embedding,
                             const std::string& embedding, const PackageContents& contents);

// The graph a package runs: one backbone up to its embedding, or several
// side by side on one input. With several, the input is the pixels as they
// are (RGB, 0-255; see pixels_as_they_are) and each backbone starts with a
// 1x1 convolution that feeds it as it was trained (its channel order, mean
// and scale); their pooled embeddings are concatenated. `embedding` gets
// the name of the tensor the head reads.
onnx::ModelProto side_by_side(const std::vector<Backbone>& backbones,
                              const std::vector<Preprocessing>& preprocessing,
                              std::string& embedding);
// The graph of a package whose backbones' fronts run on the integer engine:
// only their fine-tuned tails (one input each, "b<k>/front": the front's
// dequantized maps, NCHW), pooled and side by side as above. `fronts` gets
// package.json's list: each backbone's file, tensor and pixel mapping.
onnx::ModelProto tails_side_by_side(const std::vector<Backbone>& backbones,
                                    const std::vector<Preprocessing>& preprocessing,
                                    std::string& embedding, nlohmann::json& fronts);
// The package's preprocessing for several backbones: `crop`'s crop, RGB,
// nothing subtracted, nothing scaled.
Preprocessing pixels_as_they_are(Preprocessing crop);

// Adds metrics (and their files) to a written package, then its checksums.
void finish_package(const std::string& dir, nlohmann::json package);

struct Exemplars {
  torch::Tensor rows, tags;
};
Exemplars read_exemplars(const std::string& dir);

}  // namespace ce
