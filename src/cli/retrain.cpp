// retrain: a new iteration of the served package from its original photos
// plus the store's own confirmed ones (what the lane learnt), measured
// against the current iteration on a slice of the store's photos that
// neither training saw. Nothing is served: staff compare the two figures
// and switch (the console's model switch, or reloadModel) themselves.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <opencv2/imgcodecs.hpp>

#include "cli/commands.h"
#include "cli/runtime_connection.h"
#include "common/files.h"
#include "hub/admin_auth.h"
#include "hub/method_call.h"
#include "modules/classifier/model.h"
#include "training/dataset.h"

namespace fs = std::filesystem;

namespace ce {

namespace {

struct StorePhoto {
  std::string tag;
  fs::path photo;
  long long time_ms = 0;
};

// The confirmed photos of a memory export (examples.jsonl + photos/).
std::vector<StorePhoto> store_photos(const fs::path& dir) {
  std::ifstream in(dir / "examples.jsonl");
  if (!in)
    throw std::runtime_error((dir / "examples.jsonl").string() +
                             " is missing: give the folder `call classifier exportMemory` wrote");
  std::vector<StorePhoto> out;
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || j.value("against", false) || !j.contains("photo") ||
        !j["photo"].is_string() || !j.contains("tag") || !j["tag"].is_string())
      continue;
    std::string photo = j["photo"];
    if (photo.find("..") != std::string::npos || photo.empty() || photo[0] == '/') continue;
    out.push_back({j["tag"], dir / photo, j.value("timeMs", 0LL)});
  }
  return out;
}

double top1(const Model& model, const std::vector<StorePhoto>& photos) {
  if (photos.empty()) return 0;
  size_t right = 0;
  for (const auto& p : photos) {
    cv::Mat img = cv::imread(p.photo.string());
    if (!img.empty()) right += model.classify(img).front().tag_name == p.tag;
  }
  return double(right) / photos.size();
}

std::string percent(double share) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << 100 * share << "%";
  return s.str();
}

// Asks the running lane's classifier for its memory (and which package it serves).
nlohmann::json export_from_lane(const StateDir& state, const fs::path& dir) {
  auto hub = connect_to_runtime(state);
  MethodResult r =
      call_method(*hub, "cli-retrain-" + std::to_string(getpid()), "classifier", "exportMemory",
                  {{"dir", fs::absolute(dir).string()}}, std::chrono::seconds(120), "");
  if (r.status != 200)
    throw std::runtime_error("the classifier did not export what it learnt: " +
                             r.payload.value("error", r.payload.dump()));
  return r.payload;
}

}  // namespace

int retrain_command(const StateDir& state, const RetrainOptions& o) {
  std::string package = o.model;
  fs::path memory = o.memory;
  if (memory.empty()) {
    memory = state.root / "learning-exports" / std::to_string(now_ms());
    nlohmann::json exported = export_from_lane(state, memory);
    if (package.empty()) package = exported.value("package", "");
    std::cout << "the lane's memory: " << exported.value("exported", 0) << " examples, exported to "
              << memory.string() << "\n";
  }
  if (package.empty())
    throw std::runtime_error("name the package to retrain (--model), or run this beside a lane");
  ModelPackage current = ModelPackage::resolve(nlohmann::json{{"package", package}});
  if (current.dir.empty() || !current.info.contains("training"))
    throw std::runtime_error(package +
                             " was not made by `checkout-edge train`: retrain needs the "
                             "photos and settings it was trained with");
  const nlohmann::json& training = current.info["training"];
  std::string original = o.data.empty() ? training["data"].value("source", "") : o.data;
  if (original.empty() || !fs::exists(original))
    throw std::runtime_error("the package's training photos (" + original +
                             ") are not here: give them with --data");

  // A slice of the store's photos for measuring alone: every fifth of each
  // product, by time, so both iterations are judged on photos neither saw.
  std::vector<StorePhoto> store = store_photos(memory), train_slice, held_out;
  std::stable_sort(store.begin(), store.end(),
                   [](auto& a, auto& b) { return a.time_ms < b.time_ms; });
  std::map<std::string, int> seen;
  for (auto& p : store)
    (++seen[p.tag] % o.hold_out_every == 0 ? held_out : train_slice).push_back(p);
  if (held_out.empty())
    throw std::runtime_error("the lane has learnt " + std::to_string(store.size()) +
                             " photos; at least " + std::to_string(o.hold_out_every) +
                             " of one product are needed to measure a new iteration on the "
                             "store's own photos");

  // The original photos and the store's, as one folder of tag folders.
  fs::path out = o.out.empty()
                     ? fs::path(current.dir + "-iteration" + std::to_string(current.iteration + 1))
                     : fs::path(o.out);
  if (fs::exists(out))
    throw std::runtime_error(out.string() + " exists already; give another with --out");
  fs::path data = out.string() + ".data";
  fs::remove_all(data);
  Dataset base = load_dataset(original);
  size_t n = 0;
  auto link = [&](const std::string& tag, const fs::path& photo) {
    std::string folder = tag;
    std::replace(folder.begin(), folder.end(), '/', '-');
    fs::create_directories(data / folder);
    fs::create_symlink(fs::absolute(photo),
                       data / folder / (std::to_string(++n) + photo.extension().string()));
  };
  for (const Sample& s : base.samples) link(base.tags[s.tag], s.path);
  for (const StorePhoto& p : train_slice) link(p.tag, p.photo);
  std::cout << "training iteration " << current.iteration + 1 << " on " << base.samples.size()
            << " original photos and " << train_slice.size() << " of the store's; "
            << held_out.size() << " of the store's are kept apart to measure it\n";

  std::vector<std::string> args{
      "--data", data.string(), "--out",       out.string(),
      "--name", current.name,  "--iteration", std::to_string(current.iteration + 1)};
  auto copy_setting = [&](const char* key, const char* flag) {
    if (training.contains(key) && training[key].is_number())
      args.insert(args.end(), {flag, std::to_string(training[key].get<long long>())});
  };
  copy_setting("epochs", "--epochs");
  copy_setting("views", "--views");
  copy_setting("fineTunedLayers", "--fine-tune");
  copy_setting("seed", "--seed");
  copy_setting("inputSize", "--input-size");
  if (o.epochs > 0) args.insert(args.end(), {"--epochs", std::to_string(o.epochs)});
  for (const char* key : {"pooling", "engine", "augment", "budget"})
    if (training.contains(key) && training[key].is_string())
      args.insert(args.end(), {std::string("--") + key, training[key].get<std::string>()});
  if (training.contains("backbone"))
    for (const auto& b : training["backbone"])
      args.insert(args.end(), {"--backbone", b.get<std::string>()});
  if (training.contains("heldOut") && fs::exists(training["heldOut"].value("source", "")))
    args.insert(args.end(), {"--calibration", training["heldOut"]["source"]});
  int trained = run_training("train", args);
  fs::remove_all(data);
  if (trained != 0) return trained;

  Model before = Model::load(nlohmann::json{{"package", current.dir}});
  Model after = Model::load(nlohmann::json{{"package", out.string()}});
  double was = top1(before, held_out), now = top1(after, held_out);
  nlohmann::json comparison{{"heldOut", held_out.size()},
                            {"storePhotosTrainedOn", train_slice.size()},
                            {"current", {{"package", current.dir}, {"top1", was}}},
                            {"proposed", {{"package", out.string()}, {"top1", now}}},
                            {"createdMs", now_ms()}};
  write_file_atomically(out / "store-comparison.json", comparison.dump(2) + "\n");
  std::cout << "on " << held_out.size()
            << " of the store's own photos neither iteration trained on: current (iteration "
            << current.iteration << ") " << percent(was) << ", proposed (iteration "
            << current.iteration + 1 << ") " << percent(now) << "\n"
            << "not served: staff serve it with the console's model switch, or `checkout-edge "
               "twin classifier --set 'model={\"package\": \""
            << out.string() << "\"}'`\n";
  return 0;
}

}  // namespace ce
