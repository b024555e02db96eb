// In-store enrollment: a new tag from a handful of photos, in seconds. The
// photos' embeddings (and augmented views of them) join the exemplars the
// package keeps of every other tag, and only the linear head is retrained:
// the backbone, and so what the old tags look like to it, stays as it was.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "modules/classifier/model.h"
#include "modules/classifier/preprocess.h"
#include "training/feature_cache.h"
#include "training/metrics.h"
#include "training/package_writer.h"
#include "training/train_command.h"

namespace fs = std::filesystem;

namespace ce {
namespace {

torch::Tensor initializer(const onnx::GraphProto& g, const std::string& name) {
  for (const auto& t : g.initializer())
    if (t.name() == name) return tensor_of_initializer(t);
  throw std::runtime_error("the package's model has no " + name + "; was it made by train?");
}

}  // namespace

int enroll_command(const EnrollOptions& o) {
  auto started = std::chrono::steady_clock::now();
  if (o.images.size() < 5 || o.images.size() > 50)
    throw std::runtime_error("enrolling '" + o.tag + "' needs 5 to 50 photos of it; got " +
                             std::to_string(o.images.size()) +
                             " (the console takes as many: choose the most varied)");
  ModelPackage old = ModelPackage::resolve(nlohmann::json{{"package", o.model}});
  if (old.dir.empty() || !old.info.contains("exemplars"))
    throw std::runtime_error(o.model + " is not a package made by `checkout-edge train`");
  std::vector<std::string> tags = read_labels(old.labels_file);
  if (std::find(tags.begin(), tags.end(), o.tag) != tags.end())
    throw std::runtime_error("'" + o.tag + "' is already a tag of " + o.model +
                             "; to improve it, train again with more photos");

  onnx::ModelProto model;
  {
    std::ifstream in(old.model_file, std::ios::binary);
    if (!model.ParseFromIstream(&in)) throw std::runtime_error(old.model_file + ": not ONNX");
  }
  const auto& pre = old.preprocessing;
  // The embeddings come from the package as the lane runs it (its integer
  // fronts too): each photo as the lane will see it, and eight varied views,
  // made at the size the lane's crop is taken from.
  Model embedder = Model::load(nlohmann::json{{"package", old.dir}});
  // Every fifth photo (from 6 on) is kept apart, to measure the new
  // iteration on photos of the product it never trained on before staff
  // are offered it.
  std::vector<std::string> trained, held_out;
  for (size_t i = 0; i < o.images.size(); ++i)
    (o.images.size() >= 6 && i % 5 == 4 ? held_out : trained).push_back(o.images[i]);
  std::vector<torch::Tensor> views;
  std::mt19937 rng(o.seed);
  for (const auto& path : trained) {
    cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
    if (img.empty()) throw std::runtime_error(path + ": not a readable image");
    std::vector<cv::Mat> photos{img};
    for (int v = 0; v < 8; ++v)
      photos.push_back(random_view(img, pre.resize_to, pre.resize_to, rng));
    for (const auto& photo : photos) {
      std::vector<float> e;
      embedder.classify(photo, &e);
      if (e.empty()) throw std::runtime_error(o.model + ": the package gives no embedding");
      views.push_back(torch::tensor(e).unsqueeze(0));
    }
  }
  torch::Tensor fresh = torch::cat(views);
  Exemplars ex = read_exemplars(old.dir);
  const int64_t new_tag = static_cast<int64_t>(tags.size());

  // Imprint the new tag's weights from its mean embedding, at the scale of
  // the others, then train that row on exemplars plus the new views. The
  // old rows stay as trained: retrained on 20 exemplars a tag they drifted
  // from what the whole training set taught (a calibrated Grocery Store
  // package fell from 83.4% to 62.2% on val after one enrollment).
  torch::Tensor w0 = initializer(model.graph(), "head_weight");
  torch::Tensor b0 = initializer(model.graph(), "head_bias");
  // Centred on the exemplars' mean: embeddings (pooled after a ReLU) are
  // all positive, so their plain mean points at every photo, and a row
  // imprinted from it won 65 of 296 val photos from their own tags.
  torch::Tensor mean = fresh.mean(0) - ex.rows.mean(0);
  torch::Tensor row = (mean / mean.norm() * w0.norm(2, 1).mean()).set_requires_grad(true);
  torch::Tensor row_bias = b0.mean().unsqueeze(0).set_requires_grad(true);
  torch::Tensor x = torch::cat({ex.rows, fresh});
  torch::Tensor y = torch::cat({ex.tags, torch::full({fresh.size(0)}, new_tag, torch::kInt64)});
  // Each tag weighs the same however many rows it has.
  torch::Tensor counts = torch::bincount(y, {}, new_tag + 1).to(torch::kFloat32);
  torch::Tensor class_weight = (counts.sum() / (counts.clamp_min(1) * (new_tag + 1)));
  torch::manual_seed(o.seed);
  torch::optim::AdamW opt({row, row_bias}, torch::optim::AdamWOptions(1e-2).weight_decay(1e-4));
  torch::Tensor weight, bias;
  for (int step = 0; step < 300; ++step) {
    weight = torch::cat({w0, row.unsqueeze(0)});
    bias = torch::cat({b0, row_bias});
    auto loss = torch::nn::functional::cross_entropy(
        torch::linear(x, weight, bias), y,
        torch::nn::functional::CrossEntropyFuncOptions().weight(class_weight));
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  weight = torch::cat({w0, row.detach().unsqueeze(0)});
  bias = torch::cat({b0, row_bias.detach()});

  PackageContents c;
  c.name = old.name;
  c.iteration = old.iteration + 1;
  c.tags = tags;
  c.tags.push_back(o.tag);
  c.preprocessing = pre;
  c.pooling = old.info.value("pooling", "avg");
  c.head_weight = weight.detach();
  c.head_bias = bias.detach();
  c.exemplars = torch::cat({ex.rows, fresh.narrow(0, 0, std::min<int64_t>(20, fresh.size(0)))});
  c.exemplar_tags = torch::cat(
      {ex.tags, torch::full({std::min<int64_t>(20, fresh.size(0))}, new_tag, torch::kInt64)});
  c.info = old.info;
  for (const char* k : {"checksums", "metrics", "created", "fronts"}) c.info.erase(k);
  c.fronts = old.info.value("fronts", nlohmann::json::array());
  for (auto& f : c.fronts) f["file"] = (fs::path(old.dir) / f["file"].get<std::string>()).string();
  // The head was retrained: the parent's risk curve no longer describes it,
  // and the lane decides by its plain threshold until it is measured again.
  if (c.info.contains("calibration") && c.info["calibration"].value("method", "") != "none")
    c.info["calibration"] = {{"method", "none"},
                             {"parentTemperature", c.info["calibration"].value("temperature", 1.0)},
                             {"note",
                              "enrollment retrained the head; train again with "
                              "--calibration to measure its risk"}};
  c.info["enrolled"] = {{"tag", o.tag},
                        {"photos", trained.size()},
                        {"heldOut", held_out.size()},
                        {"parent", fs::absolute(old.dir).string()},
                        {"parentIteration", old.iteration}};
  std::string out = o.out.empty() ? (fs::path(old.dir).parent_path() /
                                     (c.name + "-iteration" + std::to_string(c.iteration)))
                                        .string()
                                  : o.out;
  if (fs::exists(fs::path(out) / "package.json"))
    throw std::runtime_error(out + " already holds a package; give --out a new folder");
  auto package = write_package(out, model, old.info.value("embeddingTensor", ""), c);
  finish_package(out, package);

  // What the new iteration says about the photos it was given, and its
  // evaluation (metrics.json and the plots, as `evaluate` writes them) on
  // those it did not train on.
  Model check = Model::load(nlohmann::json{{"package", out}});
  int right = 0;
  for (const auto& path : trained)
    right += check.classify(cv::imread(path, cv::IMREAD_COLOR))[0].tag_name == o.tag;
  int held_right = 0;
  if (!held_out.empty()) {
    EvaluationInput in;
    in.tags = c.tags;
    for (const auto& path : held_out) {
      std::vector<float> p(c.tags.size(), 0.f);
      for (const Prediction& x : check.classify(cv::imread(path, cv::IMREAD_COLOR)))
        if (x.tag_id >= 0 && x.tag_id < static_cast<int>(p.size())) p[x.tag_id] = x.probability;
      in.probabilities.push_back(p);
      in.truth.push_back(static_cast<int>(new_tag));
      in.paths.push_back(path);
      held_right += std::max_element(p.begin(), p.end()) - p.begin() == new_tag;
    }
    Evaluation e = evaluate(in);
    e.metrics["measuredOn"] = "photos of " + o.tag + " kept apart from its enrollment";
    write_evaluation(e, c.tags, out);
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "enrolled '" << o.tag << "' from " << o.images.size() << " photos as " << c.name
            << " iteration " << c.iteration << " in " << out << " ("
            << static_cast<int>(seconds * 10) / 10.0 << " s); it recognises " << right << " of the "
            << trained.size() << " it trained on";
  if (!held_out.empty())
    std::cout << " and " << held_right << " of " << held_out.size()
              << " kept apart (metrics.json and plots in the package)";
  std::cout << ". Iteration " << old.iteration << " stays in " << old.dir << " for rollback.\n";
  return 0;
}

}  // namespace ce
