// Training, enrollment, evaluation and deployment through the real
// `checkout-edge` commands, on a small subset of the store photos.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <regex>
#include <sstream>

#include "image_bombs.h"
#include "modules/classifier/model.h"
#include "test_support.h"

using namespace ce::testing_support;
using namespace std::chrono_literals;

namespace {

std::string store(const std::string& path) {
  return shared_dir() + "/datasets/grocery-store/" + path;
}

std::vector<fs::path> photos_in(const std::string& dir) {
  std::vector<fs::path> out;
  for (auto& e : fs::directory_iterator(store(dir))) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

struct Tag {
  std::string name, train, val;
};
const std::vector<Tag> kTags = {{"Banana", "train/Fruit/Banana", "val/Fruit/Banana"},
                                {"Lemon", "train/Fruit/Lemon", "val/Fruit/Lemon"},
                                {"Red-Bell-Pepper", "train/Vegetables/Pepper/Red-Bell-Pepper",
                                 "val/Vegetables/Pepper/Red-Bell-Pepper"},
                                {"Arla-Standard-Milk", "train/Packages/Milk/Arla-Standard-Milk",
                                 "val/Packages/Milk/Arla-Standard-Milk"}};

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::path(testing::TempDir()) / (name + "-" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// DATA/<tag>/ with `per_tag` training photos of each of kTags, from the `from`-th.
void link_training_photos(const fs::path& data, size_t per_tag, size_t from = 0) {
  for (auto& t : kTags) {
    fs::create_directories(data / t.name);
    auto photos = photos_in(t.train);
    for (size_t i = from; i < from + per_tag; ++i)
      fs::create_symlink(photos[i], data / t.name / photos[i].filename());
  }
}

// Share of the photos of each tag's validation folder the package gets right.
double accuracy(const std::string& package, const std::vector<Tag>& tags, int* total = nullptr) {
  ce::Model m = ce::Model::load(json{{"package", package}});
  int right = 0, n = 0;
  for (auto& t : tags)
    for (auto& p : photos_in(t.val)) {
      right += m.classify(cv::imread(p.string()))[0].tag_name == t.name;
      ++n;
    }
  if (total) *total = n;
  return static_cast<double>(right) / n;
}

TEST(Training, TrainEnrollEvaluateAndDeployAPackage) {
  fs::path dir = fresh_dir("training");
  link_training_photos(dir / "data", 20);
  link_training_photos(dir / "calibration", 10, 20);              // photos training never sees
  std::ofstream(dir / "data/Lemon/broken.jpg") << "not a photo";  // listed and skipped

  int status = -1;
  std::string cmd = std::string(CE_BINARY) + " train --data " + (dir / "data").string() +
                    " --calibration " + (dir / "calibration").string() + " --out " +
                    (dir / "shop").string() + " --epochs 4 --views 2 --seed 7 2>&1";
  std::string out = run(cmd, &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("skipped " + (dir / "data/Lemon/broken.jpg").string()), std::string::npos)
      << out;
  EXPECT_NE(out.find("validation: "), std::string::npos) << out;
  for (const char* f : {"model.onnx", "labels.txt", "package.json", "metrics.json", "confusion.csv",
                        "confusion.png", "reliability.png", "exemplars.bin"})
    EXPECT_TRUE(fs::exists(dir / "shop" / f)) << f;
  json package = json::parse(ce::read_file(dir / "shop/package.json"));
  EXPECT_EQ(package["iteration"], 1);
  EXPECT_EQ(package["training"]["data"]["images"], 72);  // 10% held out to validate
  EXPECT_EQ(package["training"]["validation"]["images"], 8);
  EXPECT_EQ(package["training"]["heldOut"]["images"], 40);  // the calibration photos
  EXPECT_EQ(package["calibration"]["method"], "temperature");
  EXPECT_GT(package["calibration"]["temperature"].get<double>(), 0.05);
  EXPECT_EQ(package["calibration"]["riskCoverage"].size(), 102u);
  EXPECT_TRUE(package["checksums"].contains("model.onnx"));
  EXPECT_TRUE(package["metrics"].contains("top1"));

  // Photos it never saw: far better than the 25% of a guess.
  int n = 0;
  double before = accuracy((dir / "shop").string(), kTags, &n);
  EXPECT_GE(before, 0.75) << "on " << n << " held-out photos";

  // Same seed, same data: the same model.
  cmd = std::string(CE_BINARY) + " train --data " + (dir / "data").string() + " --out " +
        (dir / "again").string() + " --calibration " + (dir / "calibration").string() +
        " --name shop --epochs 4 --views 2 --seed 7 2>&1";
  out = run(cmd, &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(json::parse(ce::read_file(dir / "again/package.json"))["checksums"]["model.onnx"],
            package["checksums"]["model.onnx"]);

  // Enroll a product it does not know from eight photos.
  auto pineapples = photos_in("train/Fruit/Pineapple");
  cmd = std::string(CE_BINARY) + " enroll --model " + (dir / "shop").string() + " --tag Pineapple";
  for (size_t i = 0; i < 8; ++i) cmd += " " + pineapples[i].string();
  out = run(cmd + " 2>&1", &status);
  ASSERT_EQ(status, 0) << out;
  fs::path second = dir / "shop-iteration2";
  ASSERT_TRUE(fs::exists(second / "package.json")) << out;
  // Measured before anyone is offered it, on the photo of the eight it kept apart.
  json held = json::parse(ce::read_file(second / "metrics.json"), nullptr, false);
  ASSERT_TRUE(held.is_object()) << out;
  EXPECT_EQ(held["images"], 1) << held;
  EXPECT_NE(held.value("measuredOn", "").find("Pineapple"), std::string::npos) << held;
  EXPECT_TRUE(fs::exists(second / "confusion.png"));
  EXPECT_EQ(json::parse(ce::read_file(second / "package.json"))["enrolled"]["heldOut"], 1);
  EXPECT_NE(out.find("kept apart"), std::string::npos) << out;
  std::vector<Tag> all = kTags;
  all.push_back({"Pineapple", "train/Fruit/Pineapple", "val/Fruit/Pineapple"});
  EXPECT_GE(accuracy(second.string(), {all.back()}), 0.6) << "the new product is recognised";
  EXPECT_GE(accuracy(second.string(), kTags), before - 0.1) << "the old ones still are";
  EXPECT_NO_THROW(ce::Model::load(json{{"package", (dir / "shop").string()}}))
      << "iteration 1 stays for rollback";
  EXPECT_EQ(ce::Model::load(json{{"package", second.string()}}).version(), "shop iteration 2");
  // Its head was retrained: the parent's risk curve is not claimed for it.
  EXPECT_FALSE(
      ce::Model::load(json{{"package", (dir / "shop").string()}}).thresholds_at_risk().empty());
  EXPECT_TRUE(ce::Model::load(json{{"package", second.string()}}).thresholds_at_risk().empty());

  // evaluate: the same metrics on any labelled folder, as JSON and files.
  fs::create_directories(dir / "val");
  for (auto& t : all) fs::create_directory_symlink(store(t.val), dir / "val" / t.name);
  out = run(std::string(CE_BINARY) + " evaluate --model " + second.string() + " --data " +
                (dir / "val").string() + " --out " + (dir / "report").string() + " --output json",
            &status);
  ASSERT_EQ(status, 0) << out;
  json metrics = json::parse(out);
  EXPECT_EQ(metrics["perTag"].size(), 5u);
  EXPECT_GE(metrics["top1"].get<double>(), 0.7);
  for (const char* f : {"confusion.png", "reliability.png", "risk-coverage.png",
                        "risk-coverage.csv", "predictions.csv"})
    EXPECT_TRUE(fs::exists(dir / "report" / f)) << f;
  EXPECT_EQ(metrics["riskCoverage"].size(), 102u);
  // One row per photo: path, truth, then the top five with probabilities.
  std::string csv = ce::read_file(dir / "report/predictions.csv");
  EXPECT_EQ(csv.rfind("path,truth,top1,p1,top2,p2,top3,p3,top4,p4,top5,p5\n", 0), 0u) << csv;
  EXPECT_EQ(static_cast<int>(std::count(csv.begin(), csv.end(), '\n')),
            metrics["images"].get<int>() + 1);
  EXPECT_NE(csv.find((dir / "val/Banana/").string()), std::string::npos) << csv.substr(0, 400);

  // Deploy to a running classifier: it reports the iteration it serves.
  json m;
  m["modulesContent"]["$edgeAgent"]["properties.desired"] = {
      {"schemaVersion", "1.1"},
      {"runtime", {{"type", "process"}, {"settings", json::object()}}},
      {"modules",
       {{"classifier",
         {{"type", "process"},
          {"status", "running"},
          {"restartPolicy", "always"},
          {"version", "1.0"},
          {"settings", {{"module", "classifier"}}}}},
        {"web", builtin_module("web", 1)},
        {"checkout", builtin_module("checkout", 1)}}}};
  m["modulesContent"]["$edgeHub"]["properties.desired"]["routes"] = json::object();
  std::ofstream(dir / "catalogue.json") << R"({"currency": "USD", "products": [
    {"id": "4011", "name": "Banana", "tags": ["Banana"], "pricePerKg": 299}]})";
  m["modulesContent"]["checkout"]["properties.desired"] = {
      {"catalogue", (dir / "catalogue.json").string()}};
  m["modulesContent"]["classifier"]["properties.desired"] = {
      {"model", {{"package", (dir / "shop").string()}}}};
  m["modulesContent"]["web"]["properties.desired"] = {{"port", 0}, {"stateDir", "${STATE_DIR}"}};
  std::ofstream(dir / "deployment.json") << m.dump();
  // The lane's state apart from the packages: the console writes a new
  // iteration beside the served one, in a folder its sandbox is given whole.
  Runtime runtime(fs::path(dir.string() + "-state"), dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  auto reported = [&] {
    json t = json::parse(runtime.cli("twin classifier"), nullptr, false);
    return t.is_object() ? t["reported"] : json();
  };
  ASSERT_TRUE(eventually([&] { return reported().value("iteration", 0) == 1; }, 30s));
  out = runtime.cli("call classifier reloadModel '{\"model\": {\"package\": \"" + second.string() +
                        "\"}}' --timeout 30",
                    &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_TRUE(eventually([&] { return reported().value("iteration", 0) == 2; }, 10s));
  EXPECT_EQ(reported()["modelVersion"], "shop iteration 2");

  // Staff enroll a product from photos uploaded to the console, then serve it.
  out = run("echo 'correct horse battery' | " + std::string(CE_BINARY) + " --state-dir " +
                runtime.state().string() + " staff add alice --password-stdin 2>&1",
            &status);
  ASSERT_EQ(status, 0) << out;
  std::string console;
  ASSERT_TRUE(eventually([&] {
    json t = json::parse(runtime.cli("twin web"), nullptr, false);
    console =
        t.is_object() && t["reported"].is_object() ? t["reported"].value("consoleUrl", "") : "";
    return !console.empty();
  }));
  httplib::Client http(console.substr(0, console.find("/console")));
  auto login =
      http.Post("/console/api/login", R"({"user": "alice", "password": "correct horse battery"})",
                "application/json");
  ASSERT_TRUE(login && login->status == 200) << (login ? login->body : "no answer");
  httplib::Headers session{
      {"Authorization", "Bearer " + json::parse(login->body)["token"].get<std::string>()},
      {"X-CSRF-Token", json::parse(login->body)["csrf"].get<std::string>()}};
  httplib::MultipartFormDataItems form{{"tag", "Mango", "", ""},
                                       {"productId", "4959", "", ""},
                                       {"productName", "Mango", "", ""},
                                       {"price", "2.49", "", ""},
                                       {"soldBy", "each", "", ""}};
  auto mangoes = photos_in("train/Fruit/Mango");
  for (size_t i = 0; i < 8; ++i)
    form.push_back(
        {"photos", ce::read_file(mangoes[i]), mangoes[i].filename().string(), "image/jpeg"});
  auto few = http.Post("/console/api/enroll", session,
                       httplib::MultipartFormDataItems(form.begin(), form.begin() + 8));
  ASSERT_TRUE(few);
  EXPECT_EQ(few->status, 400);
  EXPECT_NE(few->body.find("5 to 50 photos"), std::string::npos) << few->body;
  // Photos whose few hundred bytes say 144 megapixels each: refused unread.
  httplib::MultipartFormDataItems bombs(form.begin(), form.begin() + 5);
  for (int i = 0; i < 5; ++i)
    bombs.push_back(
        {"photos", ce::testing_support::png_saying(12000, 12000), "bomb.png", "image/png"});
  auto bombed = http.Post("/console/api/enroll", session, bombs);
  ASSERT_TRUE(bombed);
  EXPECT_EQ(bombed->status, 400);
  EXPECT_NE(bombed->body.find("megapixels"), std::string::npos) << bombed->body;
  auto started = http.Post("/console/api/enroll", session, form);
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 202) << started->body;
  json enrolled;
  ASSERT_TRUE(eventually(
      [&] {
        auto r = http.Get("/console/api/enroll", session);
        enrolled = r ? json::parse(r->body, nullptr, false) : json();
        return enrolled.is_object() && enrolled.value("state", "") != "running";
      },
      120s));
  ASSERT_EQ(enrolled["state"], "done") << enrolled.dump(2);
  // Sold from now on: the product is in the checkout's catalogue, priced in cents.
  EXPECT_EQ(enrolled["catalogue"], json({{"added", true}})) << enrolled.dump(2);
  json catalogue = json::parse(ce::read_file(dir / "catalogue.json"));
  ASSERT_EQ(catalogue["products"].size(), 2u) << catalogue;
  EXPECT_EQ(catalogue["products"][1],
            json({{"id", "4959"}, {"name", "Mango"}, {"tags", {"Mango"}}, {"unitPrice", 249}}));
  EXPECT_TRUE(eventually([&] {
    json t = json::parse(runtime.cli("twin checkout"), nullptr, false);
    return t.is_object() && t["reported"].is_object() && t["reported"].value("products", 0) == 2;
  }));
  // A product the catalogue has already, or a price that is not one, is refused, saying why.
  out = runtime.cli(
      "call checkout addProduct '{\"id\": \"4959\", \"name\": \"Mango\", \"tag\": "
      "\"Mango2\", \"price\": \"1.00\"}' 2>&1",
      &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("has product 4959 (Mango) already"), std::string::npos) << out;
  out = runtime.cli(
      "call checkout addProduct '{\"id\": \"4960\", \"name\": \"Kiwi\", \"tag\": "
      "\"Kiwi\", \"price\": \"1.999\"}' 2>&1",
      &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("at most 2 digits after the point"), std::string::npos) << out;
  EXPECT_EQ(json::parse(ce::read_file(dir / "catalogue.json"))["products"].size(), 2u);
  std::string enrolled_package = enrolled["package"];
  EXPECT_NE(ce::read_file(fs::path(enrolled_package) / "labels.txt").find("Mango"),
            std::string::npos);
  // Staff choose it from the list of iterations, measured on a held-out mango.
  auto listed = http.Get("/console/api/models", session);
  ASSERT_TRUE(listed && listed->status == 200) << (listed ? listed->body : "no answer");
  json iterations = json::parse(listed->body)["iterations"];
  json mine;
  for (auto& it : iterations)
    if (fs::equivalent(it["folder"].get<std::string>(), enrolled_package)) mine = it;
  ASSERT_TRUE(mine.is_object()) << iterations;
  EXPECT_EQ(mine["measured"]["images"], 1) << mine;
  EXPECT_NE(mine["measured"]["on"].get<std::string>().find("Mango"), std::string::npos) << mine;
  auto serve = http.Post(
      "/console/api/twin", session,
      json{{"module", "classifier"}, {"patch", {{"model", {{"package", enrolled_package}}}}}}
          .dump(),
      "application/json");
  ASSERT_TRUE(serve);
  EXPECT_EQ(serve->status, 200) << serve->body;
  EXPECT_TRUE(eventually([&] { return reported().value("iteration", 0) == 3; }, 20s))
      << runtime.cli("twin classifier");
  EXPECT_GE(accuracy(enrolled_package, {{"Mango", "train/Fruit/Mango", "val/Fruit/Mango"}}), 0.5)
      << "the product enrolled in the console is recognised";
}

TEST(Training, BadDataStopsWithAMessageThatNamesIt) {
  fs::path dir = fresh_dir("bad-training");
  fs::create_directories(dir / "data/Banana");
  fs::create_directories(dir / "data/Lemon");
  auto bananas = photos_in("train/Fruit/Banana");
  for (size_t i = 0; i < 6; ++i)
    fs::create_symlink(bananas[i], dir / "data/Banana" / bananas[i].filename());
  auto lemons = photos_in("train/Fruit/Lemon");
  for (size_t i = 0; i < 3; ++i)
    fs::create_symlink(lemons[i], dir / "data/Lemon" / lemons[i].filename());
  int status = -1;
  std::string out = run(std::string(CE_BINARY) + " train --data " + (dir / "data").string() +
                            " --out " + (dir / "pkg").string() + " 2>&1",
                        &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("Lemon (3)"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir / "pkg/package.json"));

  out = run(std::string(CE_BINARY) + " train --data " + (dir / "nowhere").string() + " --out " +
                (dir / "pkg").string() + " 2>&1",
            &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("does not exist"), std::string::npos) << out;

  out = run(std::string(CE_BINARY) + " enroll --model " + (dir / "nowhere").string() +
                " --tag X a.jpg b.jpg 2>&1",
            &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("needs 5 to 50 photos"), std::string::npos) << out;
}

}  // namespace

namespace {

TEST(Training, CtrlCStopsAndKeepsTheLastWholeEpoch) {
  fs::path dir = fresh_dir("interrupted");
  link_training_photos(dir / "data", 12);
  fs::path log = dir / "train.log";
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(log.c_str(), "w", stderr)) _exit(126);
    execl(CE_BINARY, CE_BINARY, "train", "--data", (dir / "data").c_str(), "--out",
          (dir / "pkg").c_str(), "--epochs", "500", "--views", "2", "--budget", "2h", nullptr);
    _exit(127);
  }
  ASSERT_TRUE(eventually(
      [&] {
        return fs::exists(log) && ce::read_file(log).find("epoch  2/500") != std::string::npos;
      },
      120s))
      << ce::read_file(log);
  kill(pid, SIGINT);
  int status = 0;
  bool ended = eventually([&] { return waitpid(pid, &status, WNOHANG) == pid; }, 60s);
  if (!ended) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "training went on after Ctrl-C\n" << ce::read_file(log).substr(0, 2000);
  }
  ASSERT_TRUE(WIFEXITED(status)) << ce::read_file(log);
  EXPECT_EQ(WEXITSTATUS(status), 0) << ce::read_file(log);
  EXPECT_NE(ce::read_file(log).find("stopped by Ctrl-C"), std::string::npos);
  json package = json::parse(ce::read_file(dir / "pkg/package.json"));
  EXPECT_TRUE(package["training"]["interrupted"].get<bool>());
  EXPECT_GE(package["training"]["bestEpoch"].get<int>(), 2);  // the last whole epoch
  EXPECT_NO_THROW(ce::Model::load(json{{"package", (dir / "pkg").string()}}));
}

}  // namespace

namespace {

// Any ONNX classifier can be the backbone: here a Custom Vision export as
// its authors committed it (named nodes, a Flatten before its Gemm, a
// ZipMap output), with its last three convolutions and their pooling
// fine-tuned; and the ImageNet SqueezeNet trained whole, from the pixels.
TEST(Training, AnyOnnxClassifierIsABackboneAndTheWholeNetworkCanTrain) {
  fs::path dir = fresh_dir("backbones");
  link_training_photos(dir / "data", 15);
  const std::string custom_vision =
      shared_dir() + "/models/custom-vision-exports/toscana_computer-onnx/model.onnx";
  int status = -1;
  // The export subtracts its own mean inside the graph.
  std::string out = run(std::string(CE_BINARY) + " train --data " + (dir / "data").string() +
                            " --out " + (dir / "cv").string() + " --backbone " + custom_vision +
                            " --mean 0 0 0 --input-size 0 --fine-tune 3 --epochs 4 --views 2 2>&1",
                        &status);
  ASSERT_EQ(status, 0) << out;
  json package = json::parse(ce::read_file(dir / "cv/package.json"));
  EXPECT_EQ(package["preprocessing"]["inputWidth"], 227);  // the export's own size
  EXPECT_EQ(package["training"]["fineTunedLayers"], 3);
  int n = 0;
  EXPECT_GE(accuracy((dir / "cv").string(), kTags, &n), 0.75) << "on " << n << " held-out photos";

  const std::string squeezenet =
      " --backbone " + shared_dir() + "/models/imagenet-squeezenet/SqueezeNet_fp32.onnx";
  out = run(std::string(CE_BINARY) + " train --data " + (dir / "data").string() + " --out " +
                (dir / "whole").string() + squeezenet +
                " --input-size 0 --fine-tune 26 --epochs 1 --views 1 2>&1",
            &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("it has 25 convolutions"), std::string::npos) << out;
  out = run(std::string(CE_BINARY) + " train --data " + (dir / "data").string() + " --out " +
                (dir / "whole").string() + squeezenet +
                " --input-size 0 --fine-tune 25 --epochs 3 --views 2 2>&1",
            &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_GE(accuracy((dir / "whole").string(), kTags, &n), 0.5) << "on " << n << " photos";
}

// TensorFlow Lite backbones, one or two side by side: fine-tuned from the
// files as committed, calibrated, and served by the classifier with the
// thresholds the checkout decides by.
TEST(Training, TensorFlowLiteBackbonesTrainAloneAndSideBySide) {
  fs::path dir = fresh_dir("tflite-backbones");
  link_training_photos(dir / "data", 15);
  const std::string tflite = shared_dir() + "/models/imagenet-mobilenets-tflite/";
  const std::string v1 = tflite + "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite",
                    v2 = tflite + "mobilenet_v2_1.0_224_quant.tflite";
  int status = -1;
  std::string out = run(std::string(CE_BINARY) + " train --data " + (dir / "data").string() +
                            " --out " + (dir / "v2").string() + " --backbone " + v2 +
                            " --fine-tune 4 --epochs 3 --views 2 2>&1",
                        &status);
  ASSERT_EQ(status, 0) << out;
  json package = json::parse(ce::read_file(dir / "v2/package.json"));
  // Its front runs on the integer engine, in training as on the lane: the
  // file travels in the package, and its input's quantization says how
  // pixels are fed to it: RGB, x / 128 - 1.
  ASSERT_EQ(package["fronts"].size(), 1u) << package.dump(2);
  EXPECT_TRUE(package["checksums"].contains(package["fronts"][0]["file"].get<std::string>()));
  EXPECT_NEAR(package["fronts"][0]["scale"].get<double>(), 1 / 128.0, 1e-6);
  EXPECT_EQ(package["fronts"][0]["mean"], json({128.0, 128.0, 128.0}));
  EXPECT_EQ(package["preprocessing"]["channelOrder"], "RGB");
  EXPECT_EQ(package["preprocessing"]["inputWidth"], 224);
  EXPECT_EQ(package["training"]["engine"], "integer");
  ce::Model served = ce::Model::load(json{{"package", (dir / "v2").string()}});
  EXPECT_NE(served.describe()["engine"].get<std::string>().find("integer fronts"),
            std::string::npos);
  EXPECT_THROW(ce::Model::load(json{{"package", (dir / "v2").string()}, {"engine", "float"}}),
               std::runtime_error)
      << "its tails were trained on the integer fronts' maps";
  int n = 0;
  EXPECT_GE(accuracy((dir / "v2").string(), kTags, &n), 0.75) << "on " << n << " photos";

  // The float reference (OpenCV runs the dequantized copy whole) learns the
  // same: the two packages name the same product for nearly every photo.
  out = run(std::string(CE_BINARY) + " train --data " + (dir / "data").string() + " --out " +
                (dir / "v2-float").string() + " --backbone " + v2 +
                " --fine-tune 4 --epochs 3 --views 2 --engine float 2>&1",
            &status);
  ASSERT_EQ(status, 0) << out;
  json reference = json::parse(ce::read_file(dir / "v2-float/package.json"));
  EXPECT_FALSE(reference.contains("fronts"));
  EXPECT_NEAR(reference["preprocessing"]["scale"].get<double>(), 1 / 128.0, 1e-6);
  ce::Model floats = ce::Model::load(json{{"package", (dir / "v2-float").string()}});
  int same = 0, photos = 0;
  for (auto& t : kTags)
    for (auto& p : photos_in(t.val)) {
      cv::Mat photo = cv::imread(p.string());
      same += served.classify(photo)[0].tag_name == floats.classify(photo)[0].tag_name;
      ++photos;
    }
  EXPECT_GE(same, photos * 9 / 10) << same << " of " << photos << " photos";

  // Another input size than the file's own: the integer engine cannot run
  // it, so the float one trains, and says so.
  out = run(std::string(CE_BINARY) + " train --data " + (dir / "data").string() + " --out " +
                (dir / "v2-160").string() + " --backbone " + v2 +
                " --fine-tune 1 --epochs 1 --views 1 --input-size 160 2>&1",
            &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("float engine"), std::string::npos) << out;
  EXPECT_FALSE(json::parse(ce::read_file(dir / "v2-160/package.json")).contains("fronts"));

  out = run(std::string(CE_BINARY) + " train --data " + (dir / "data").string() + " --out " +
                (dir / "both").string() + " --backbone " + v1 + "," + v2 +
                " --fine-tune 2 --epochs 3 --views 2 2>&1",
            &status);
  ASSERT_EQ(status, 0) << out;
  package = json::parse(ce::read_file(dir / "both/package.json"));
  EXPECT_EQ(package["training"]["backbone"].size(), 2u);
  EXPECT_EQ(package["fronts"].size(), 2u);
  EXPECT_EQ(package["exemplars"]["dimension"], 1024 + 1280) << "both embeddings, side by side";
  // One network file, fed the pixels as they are; each backbone feeds itself.
  EXPECT_EQ(package["preprocessing"]["scale"], 1.0);
  EXPECT_GE(accuracy((dir / "both").string(), kTags, &n), 0.75) << "on " << n << " photos";
}

// `--budget`: the trainer plans within it and stops on time. Asked for far
// more epochs than fit, it runs those that do, its rates decaying to zero
// at the new end, and writes a whole package.
TEST(Training, ABudgetIsPlannedAndKept) {
  fs::path dir = fresh_dir("budget");
  link_training_photos(dir / "data", 12);
  const std::string v1 =
      shared_dir() +
      "/models/imagenet-mobilenets-tflite/mobilenet_v1_1.0_224_quant_embedding_extractor.tflite";
  int status = -1;
  std::string out = run(std::string(CE_BINARY) + " train --data " + (dir / "data").string() +
                            " --out " + (dir / "pkg").string() + " --backbone " + v1 +
                            " --fine-tune 2 --views 1 --epochs 100000 --budget 40s 2>&1",
                        &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("plan for 40s: fine-tune 2 layers, 1 views (crop), 100000 epochs"),
            std::string::npos)
      << "the plan keeps what was given and fills the rest from the ladder\n"
      << out;
  EXPECT_NE(out.find("more than the budget"), std::string::npos) << out;
  EXPECT_NE(out.find("the budget of 40s allowed"), std::string::npos) << out;
  json training = json::parse(ce::read_file(dir / "pkg/package.json"))["training"];
  EXPECT_TRUE(training["cutToTime"].get<bool>());
  EXPECT_EQ(training["budget"], "40s");
  EXPECT_GE(training["bestEpoch"].get<int>(), 2);
  EXPECT_LT(training["bestEpoch"].get<int>(), 100000);
  // Training ends in time to write and check the package: well within the
  // budget and its margin, even on a loaded machine.
  EXPECT_LT(training["seconds"].get<double>(), 40 + 20) << out.substr(0, 3000);
  int n = 0;
  EXPECT_GE(accuracy((dir / "pkg").string(), kTags, &n), 0.75) << "on " << n << " photos";

  // What is not a duration says what it takes, before any work.
  out = run(std::string(CE_BINARY) + " train --data " + (dir / "data").string() + " --out " +
                (dir / "bad").string() + " --budget 10x 2>&1",
            &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("--budget 10x: unknown unit 'x'; write it as 10m, 2h, 1h30m, 90s or seconds"),
            std::string::npos)
      << out;
  EXPECT_FALSE(fs::exists(dir / "bad"));
}

}  // namespace

// `replay`: the val photos of the four tags played through the lane's
// decisions, learning as it goes; what it prints is what its CSV holds.
TEST(Training, ReplayPlaysLabelledPhotosThroughTheLanesDecisionsAndLearns) {
  fs::path dir = fresh_dir("replay");
  link_training_photos(dir / "data", 20);
  for (auto& t : kTags) {
    fs::create_directories(dir / "stream" / t.name);
    for (auto& p : photos_in(t.val)) fs::create_symlink(p, dir / "stream" / t.name / p.filename());
  }
  int status = -1;
  std::string out =
      run(std::string(CE_BINARY) + " train --data " + (dir / "data").string() + " --out " +
              (dir / "shop").string() + " --epochs 2 --views 1 --seed 7 2>&1",
          &status);
  ASSERT_EQ(status, 0) << out;
  for (const char* learn : {"on", "off"}) {
    fs::path report = dir / (std::string("replay-") + learn);
    out = run(std::string(CE_BINARY) + " replay --model " + (dir / "shop").string() + " --data " +
                  (dir / "stream").string() + " --shuffle 1 --threshold 0.97 --learn " + learn +
                  " --out " + report.string() + " 2>&1",
              &status);
    ASSERT_EQ(status, 0) << out;
    EXPECT_NE(out.find("scans     1-  "), std::string::npos) << out;
    EXPECT_NE(out.find("second half: top-1 "), std::string::npos) << out;
    EXPECT_EQ(out.find("memory: ") != std::string::npos, std::string(learn) == "on") << out;
    ASSERT_TRUE(fs::exists(report / "replay.png"));
    std::ifstream csv(report / "replay.csv");
    std::string line;
    std::getline(csv, line);
    int rows = 0, accepted = 0, answered = 0;
    while (std::getline(csv, line)) {
      ++rows;
      std::vector<std::string> cells;
      std::string cell;
      for (std::istringstream s(line); std::getline(s, cell, ',');) cells.push_back(cell);
      ASSERT_GE(cells.size(), 14u) << line;
      accepted += cells[6] == "1";
      answered += cells[8] == "answer";
    }
    int photos = 0;
    for (auto& t : kTags) photos += static_cast<int>(photos_in(t.val).size());
    EXPECT_EQ(rows, photos);
    EXPECT_GT(answered, 0) << "the shopper was asked and answered";
    // The halves' "(wrong/accepted)" add up to the CSV's accepted scans.
    std::regex half("\n(first|second) half: [^(]*\\((\\d+)/(\\d+)\\)");
    int printed = 0;
    for (std::sregex_iterator it(out.begin(), out.end(), half), end; it != end; ++it)
      printed += std::stoi((*it)[3]);
    EXPECT_EQ(printed, accepted) << out;
    if (std::string(learn) == "on") {
      // Every answered or paid scan was kept (none of the four tags is evicted).
      std::smatch m;
      ASSERT_TRUE(std::regex_search(out, m, std::regex("memory: (\\d+) examples"))) << out;
      EXPECT_GE(std::stoi(m[1]), answered);
    }
  }
}

// What a lane learnt, imported into a running classifier (as a chain shares
// it), trains a new iteration (`retrain`, beside the lane) that is measured
// against the served one on store photos neither trained on, and is not
// served until staff switch to it; a new package's memory is rebuilt from
// the kept photos.
TEST(Training, RetrainProposesAMeasuredIterationAndServesNothingByItself) {
  fs::path dir = fresh_dir("retrain");
  link_training_photos(dir / "data", 20);
  int status = -1;
  std::string out =
      run(std::string(CE_BINARY) + " train --data " + (dir / "data").string() + " --out " +
              (dir / "shop").string() + " --epochs 2 --views 1 --seed 7 2>&1",
          &status);
  ASSERT_EQ(status, 0) << out;
  // The store's confirmed photos: ten of each product training never saw.
  fs::create_directories(dir / "store/photos");
  std::ofstream examples(dir / "store/examples.jsonl");
  long long ms = 1700000000000;
  for (auto& t : kTags) {
    auto photos = photos_in(t.train);
    for (size_t i = 20; i < 30; ++i) {
      std::string name = "photos/" + t.name + "-" + std::to_string(i) + ".jpg";
      fs::copy_file(photos[i], dir / "store" / name);
      examples << json{{"tag", t.name},
                       {"source", "answer"},
                       {"timeMs", ms += 1000},
                       {"photo", name}}
                      .dump()
               << "\n";
    }
  }
  examples.close();

  json m;
  m["modulesContent"]["$edgeAgent"]["properties.desired"] = {
      {"schemaVersion", "1.1"},
      {"runtime", {{"type", "process"}, {"settings", json::object()}}},
      {"modules", {{"classifier", builtin_module("classifier", 1)}}}};
  m["modulesContent"]["$edgeHub"]["properties.desired"]["routes"] = json::object();
  m["modulesContent"]["classifier"]["properties.desired"] = {
      {"model", {{"package", (dir / "shop").string()}}}};
  std::ofstream(dir / "deployment.json") << m.dump();
  // The lane's state apart from the packages: the console writes a new
  // iteration beside the served one, in a folder its sandbox is given whole.
  Runtime runtime(fs::path(dir.string() + "-state"), dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  auto reported = [&] {
    json t = json::parse(runtime.cli("twin classifier"), nullptr, false);
    return t.is_object() ? t["reported"] : json();
  };
  ASSERT_TRUE(eventually([&] { return reported().value("iteration", 0) == 1; }, 30s));
  auto call = [&](const std::string& method, const json& payload) {
    json r = json::parse(
        runtime.cli("call classifier " + method + " '" + payload.dump() + "' --timeout 120"),
        nullptr, false);
    return r.is_object() ? r["payload"] : json();
  };
  EXPECT_EQ(call("importMemory", {{"dir", (dir / "store").string()}})["imported"], 40);

  out = runtime.cli("retrain", &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("32 of the store's; 8 of the store's are kept apart"), std::string::npos)
      << out;
  std::smatch figures;
  ASSERT_TRUE(std::regex_search(
      out, figures,
      std::regex("on 8 of the store's own photos neither iteration trained on: current "
                 "\\(iteration 1\\) ([0-9.]+)%, proposed \\(iteration 2\\) ([0-9.]+)%")))
      << out;
  fs::path proposed = dir / "shop-iteration2";
  json comparison = json::parse(ce::read_file(proposed / "store-comparison.json"));
  EXPECT_EQ(comparison["heldOut"], 8);
  EXPECT_NEAR(comparison["proposed"]["top1"].get<double>() * 100, std::stod(figures[2]), 0.06);
  EXPECT_EQ(json::parse(ce::read_file(proposed / "package.json"))["iteration"], 2);
  // Proposed, not served.
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(reported().value("iteration", 0), 1);

  // Staff serve it with one change; it starts a memory of its own, rebuilt
  // by itself from the photos the lane kept.
  out = runtime.cli("twin classifier --set 'model={\"package\": \"" + proposed.string() + "\"}'",
                    &status);
  ASSERT_EQ(status, 0) << out;
  ASSERT_TRUE(eventually([&] { return reported().value("iteration", 0) == 2; }, 30s))
      << runtime.cli("logs classifier --tail 20");
  EXPECT_TRUE(runtime.logged("classifier", "rebuilt the new model's memory", 60s))
      << runtime.cli("logs classifier --tail 20");
  json rebuilt = call("memory", json::object());
  EXPECT_EQ(rebuilt["examples"], 40) << rebuilt;
  EXPECT_NE(rebuilt["identity"].get<std::string>().find("shop iteration 2"), std::string::npos)
      << rebuilt;
}
