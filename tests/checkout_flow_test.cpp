// The checkout's flow with the real camera (scene gating), classifier, scale
// and checkout processes: a weight outside the product's plausible range is
// questioned aloud and not charged.
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "modules/checkout/journal.h"
#include "test_support.h"

using namespace ce::testing_support;
using namespace std::chrono_literals;

namespace {

TEST(CheckoutFlow, AnImplausibleWeightIsQuestionedAndNotCharged) {
  fs::path dir = fs::path(testing::TempDir()) / ("flow-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  cv::imwrite((dir / "empty.png").string(), cv::Mat(240, 320, CV_8UC3, cv::Scalar(205, 210, 210)));
  fs::copy_file(shared_dir() + "/datasets/grocery-store/val/Fruit/Banana/Banana_001.jpg",
                dir / "camera.jpg");
  std::ofstream(dir / "catalogue.json") << R"({"currency": "USD", "products": [
    {"id": "4011", "name": "Banana", "tags": ["banana"], "pricePerKg": 299,
     "plausibleGrams": [40, 3000]}]})";

  json m;
  m["modulesContent"]["$edgeAgent"]["properties.desired"] = {
      {"schemaVersion", "1.1"},
      {"runtime", {{"type", "process"}, {"settings", json::object()}}},
      {"modules",
       {{"checkout", builtin_module("checkout", 1)},
        {"classifier", builtin_module("classifier", 1)},
        {"scale", builtin_module("scale", 1)},
        {"camera",
         builtin_module("camera", 3)}}}};  // the scale first: it is loaded when the camera looks
  auto route = [](const std::string& from, const std::string& to) {
    return "FROM /messages/modules/" + from + " INTO BrokeredEndpoint(\"/modules/" + to + "\")";
  };
  m["modulesContent"]["$edgeHub"]["properties.desired"]["routes"] = {
      {"frames", route("camera/outputs/frames", "classifier/inputs/frames")},
      {"predictions", route("classifier/outputs/predictions", "checkout/inputs/predictions")},
      {"weight", route("scale/outputs/weight", "checkout/inputs/weight")}};
  m["modulesContent"]["camera"]["properties.desired"] = {
      {"source", (dir / "camera.jpg").string()},
      {"emptyScene", (dir / "empty.png").string()},
      {"fps", 10}};
  m["modulesContent"]["classifier"]["properties.desired"] = {
      {"model",
       {{"file", shared_dir() + "/models/imagenet-squeezenet/SqueezeNet_fp32.onnx"},
        {"labels", shared_dir() + "/models/imagenet-squeezenet/Labels.txt"},
        {"resize", "shorter-side"},
        {"mean", {104, 117, 123}}}}};
  // A banana on the scale from the start, weighing far more than one can.
  m["modulesContent"]["scale"]["properties.desired"] = {{"steps", {{600000, 3200}}}, {"hz", 10}};
  m["modulesContent"]["checkout"]["properties.desired"] = {
      {"catalogue", (dir / "catalogue.json").string()}, {"threshold", 0.3}};
  std::ofstream(dir / "deployment.json") << m.dump(2);

  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  std::string log;
  bool asked = eventually(
      [&] {
        log = runtime.cli("logs checkout");
        return log.find("Banana, 3.2 kilograms. Please check.") != std::string::npos;
      },
      40s);
  EXPECT_TRUE(asked) << log << runtime.cli("logs camera --tail 20")
                     << runtime.cli("logs scale --tail 5");
  std::this_thread::sleep_for(1s);
  auto journal = runtime.state() / "data/checkout/journal.db";
  ASSERT_TRUE(fs::exists(journal));
  EXPECT_TRUE(ce::Journal(journal.string()).lines().empty()) << "nothing is charged";
}

}  // namespace
