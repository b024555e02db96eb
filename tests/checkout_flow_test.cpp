// The checkout's flow with the real camera (scene gating), classifier, scale,
// checkout and speech processes: a weight outside the product's plausible
// range is questioned aloud and not charged; an unsure scan is a question the
// keypad answers; the basket is paid with a receipt; speech prepares the
// catalogue's words before the first scan.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/input.h>
#include <sys/stat.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "modules/checkout/journal.h"
#include "test_support.h"

using namespace ce::testing_support;
using namespace std::chrono_literals;

namespace {

// A banana photo under the camera and `grams` on the scale from the start;
// with `speech`, sentences go to a speech module on the "clock" device.
fs::path flow_system(const std::string& name, int grams, double threshold, bool speech) {
  fs::path dir = fs::path(testing::TempDir()) / ("flow-" + name + "-" + std::to_string(getpid()));
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
  m["modulesContent"]["scale"]["properties.desired"] = {{"steps", {{600000, grams}}}, {"hz", 10}};
  m["modulesContent"]["checkout"]["properties.desired"] = {
      {"catalogue", (dir / "catalogue.json").string()}, {"threshold", threshold}};
  if (speech) {
    auto& desired = m["modulesContent"]["$edgeAgent"]["properties.desired"];
    desired["modules"]["speech"] = builtin_module("speech", 1);
    auto& routes = m["modulesContent"]["$edgeHub"]["properties.desired"]["routes"];
    routes["sentences"] = route("checkout/outputs/sentence", "speech/inputs/say");
    routes["vocabulary"] = route("checkout/outputs/vocabulary", "speech/inputs/presynth");
    routes["spoken"] = route("speech/outputs/spoken", "checkout/inputs/spoken");
    m["modulesContent"]["speech"]["properties.desired"] = {{"device", "clock"},
                                                           {"wavDir", (dir / "wav").string()}};
    // The shopper's keypad: a FIFO that carries what /dev/input/event* would.
    mkfifo((dir / "keypad").c_str(), 0600);
    desired["modules"]["keypad"] = builtin_module("keypad", 1);
    routes["keys"] = route("keypad/outputs/keys", "checkout/inputs/keys");
    m["modulesContent"]["keypad"]["properties.desired"] = {{"device", (dir / "keypad").string()}};
  }
  std::ofstream(dir / "deployment.json") << m.dump(2);
  return dir;
}

TEST(CheckoutFlow, AnImplausibleWeightIsQuestionedAndNotCharged) {
  // A banana on the scale from the start, weighing far more than one can.
  fs::path dir = flow_system("implausible", 3200, 0.3, false);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  std::string log;
  bool asked = runtime.logged("checkout", "Banana, 3.2 kilograms. Please check.", 40s, &log);
  EXPECT_TRUE(asked) << log << runtime.cli("logs camera --tail 20")
                     << runtime.cli("logs scale --tail 5");
  std::this_thread::sleep_for(1s);
  auto journal = runtime.state() / "data/checkout/journal.db";
  ASSERT_TRUE(fs::exists(journal));
  EXPECT_TRUE(ce::Journal(journal.string()).lines().empty()) << "nothing is charged";
}

TEST(CheckoutFlow, AnUnsureScanIsAskedAnsweredOnTheKeypadPaidAndSpoken) {
  // Sure of nothing below 0.999: every scan is a question.
  fs::path dir = flow_system("question", 420, 0.999, true);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  std::string log;
  bool asked =
      runtime.logged("speech", "Is it 1 Banana? Press the number, or 0 for none.", 40s, &log);
  ASSERT_TRUE(asked) << log << runtime.cli("logs checkout --tail 20");
  EXPECT_TRUE(ce::Journal((runtime.state() / "data/checkout/journal.db").string()).lines().empty());

  // The catalogue's words were made into sound before they were needed.
  auto cache = runtime.state() / "data/speech/audio-cache";
  EXPECT_TRUE(fs::exists(cache));
  size_t sounds = 0;
  if (fs::exists(cache))
    for (auto& f : fs::directory_iterator(cache)) sounds += f.path().extension() == ".pcm";
  EXPECT_GE(sounds, 10u);

  // The shopper presses 1 on the keypad.
  int keypad = -1;
  eventually([&] { return (keypad = open((dir / "keypad").c_str(), O_WRONLY | O_NONBLOCK)) >= 0; },
             10s);
  ASSERT_GE(keypad, 0) << runtime.cli("logs keypad");
  for (input_event e : {input_event{{}, EV_KEY, KEY_KP1, 1}, input_event{{}, EV_SYN, 0, 0},
                        input_event{{}, EV_KEY, KEY_KP1, 0}})
    ASSERT_EQ(write(keypad, &e, sizeof e), static_cast<ssize_t>(sizeof e));
  bool added = runtime.logged("checkout", "Banana, 0.42 kilograms, 1 dollar 26.", 10s);
  EXPECT_TRUE(added) << runtime.cli("logs checkout --tail 10") << runtime.cli("logs keypad");
  close(keypad);
  std::string reply = runtime.cli("call checkout basket");
  EXPECT_NE(reply.find("\"totalMinor\": 126"), std::string::npos) << reply;
  // Staff can press it too, through the method: there is no question now.
  reply = runtime.cli("call checkout key '{\"key\": \"1\"}'");
  EXPECT_NE(reply.find("Press star to repeat"), std::string::npos) << reply;
  reply = runtime.cli(
      "call checkout command '{\"command\": \"quantity\", \"line\": 1, \"quantity\": 2}'");
  EXPECT_NE(reply.find("sold by weight"), std::string::npos) << reply;
  reply = runtime.cli("call checkout command '{\"command\": \"pay\", \"tenderedMinor\": 500}'");
  EXPECT_NE(reply.find("Paid, 5 dollars. Change, 3 dollars 74."), std::string::npos) << reply;
  auto receipt = runtime.state() / "data/checkout/receipts/receipt-1.txt";
  EXPECT_TRUE(eventually([&] { return fs::exists(receipt); }, 5s));
  std::ifstream in(receipt);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("Banana"), std::string::npos) << text;
  EXPECT_NE(text.find("1.26"), std::string::npos) << text;
  bool spoken = runtime.logged("speech", "Paid, 5 dollars.", 10s, &log);
  EXPECT_TRUE(spoken) << log;
}

}  // namespace
