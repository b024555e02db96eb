// A whole lane for tests: the real camera (on one photo), classifier,
// scale (simulated steps), checkout and, if asked, speech on the "clock"
// device and a keypad read from a FIFO, as `checkout-edge run` starts them.
#pragma once

#include <fcntl.h>
#include <linux/input.h>
#include <sys/stat.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "test_support.h"

namespace ce::testing_support {

struct LaneSpec {
  std::string name;
  json steps = json::array({{600000, 420}});  // the scale: [[durationMs, grams], ...]
  double threshold = 0.3;
  bool speech = false, keypad = false, web = false;
  json camera = json::object();           // added to the camera's desired properties
  json scale = json::object();            // added to the scale's desired properties
  json runtime = json::object();          // $edgeAgent runtime.settings
  json model = json::object();            // added to the classifier's model description
  json speech_settings = json::object();  // added to speech's desired properties
  json checkout = json::object();         // added to the checkout's desired properties
  json web_settings = json::object();     // added to the web module's desired properties
  std::string photo;                      // the camera's photo; empty: a banana
  std::string catalogue;                  // catalogue.json's text; empty: Banana alone
  bool barcodes = false;                  // a barcodes module reads the camera's frames
  json scanners = json::object();         // scanner modules by name: their desired properties
};

// Writes the lane's files into a new folder and returns it: deployment.json,
// catalogue.json (Banana, 2.99 a kilogram), camera.jpg (a banana), empty.png.
inline fs::path write_lane(const LaneSpec& spec) {
  fs::path dir =
      fs::path(testing::TempDir()) / ("lane-" + spec.name + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  cv::imwrite((dir / "empty.png").string(), cv::Mat(240, 320, CV_8UC3, cv::Scalar(205, 210, 210)));
  fs::copy_file(spec.photo.empty()
                    ? shared_dir() + "/datasets/grocery-store/val/Fruit/Banana/Banana_001.jpg"
                    : spec.photo,
                dir / "camera.jpg");
  std::ofstream(dir / "catalogue.json")
      << (spec.catalogue.empty() ? R"({"currency": "USD", "products": [
    {"id": "4011", "name": "Banana", "tags": ["banana"], "pricePerKg": 299,
     "plausibleGrams": [40, 3000]}]})"
                                 : spec.catalogue);
  json m;
  m["modulesContent"]["$edgeAgent"]["properties.desired"] = {
      {"schemaVersion", "1.1"},
      {"runtime", {{"type", "process"}, {"settings", spec.runtime}}},
      {"modules",
       {{"checkout", builtin_module("checkout", 1)},
        {"classifier", builtin_module("classifier", 1)},
        {"scale", builtin_module("scale", 1)},
        {"camera",
         builtin_module("camera", 3)}}}};  // the scale first: loaded when the camera looks
  auto route = [](const std::string& from, const std::string& to) {
    return "FROM /messages/modules/" + from + " INTO BrokeredEndpoint(\"/modules/" + to + "\")";
  };
  auto& routes = m["modulesContent"]["$edgeHub"]["properties.desired"]["routes"];
  routes = {{"frames", route("camera/outputs/frames", "classifier/inputs/frames")},
            {"predictions", route("classifier/outputs/predictions", "checkout/inputs/predictions")},
            {"weight", route("scale/outputs/weight", "checkout/inputs/weight")},
            {"examples", route("checkout/outputs/examples", "classifier/inputs/examples")},
            {"frameWanted", route("checkout/outputs/frameWanted", "camera/inputs/frameWanted")}};
  json camera = {{"source", (dir / "camera.jpg").string()},
                 {"emptyScene", (dir / "empty.png").string()},
                 {"fps", 10}};
  camera.update(spec.camera);
  for (auto& [k, v] : spec.camera.items())
    if (v.is_null()) camera.erase(k);
  m["modulesContent"]["camera"]["properties.desired"] = camera;
  m["modulesContent"]["classifier"]["properties.desired"] = {
      {"model",
       {{"file", shared_dir() + "/models/imagenet-squeezenet/SqueezeNet_fp32.onnx"},
        {"labels", shared_dir() + "/models/imagenet-squeezenet/Labels.txt"},
        {"resize", "shorter-side"},
        {"mean", {104, 117, 123}}}}};
  m["modulesContent"]["classifier"]["properties.desired"]["model"].update(spec.model);
  m["modulesContent"]["scale"]["properties.desired"] = {{"steps", spec.steps}, {"hz", 10}};
  m["modulesContent"]["scale"]["properties.desired"].update(spec.scale);
  m["modulesContent"]["checkout"]["properties.desired"] = {
      {"catalogue", (dir / "catalogue.json").string()}, {"threshold", spec.threshold}};
  m["modulesContent"]["checkout"]["properties.desired"].update(spec.checkout);
  auto& modules = m["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"];
  if (spec.speech) {
    modules["speech"] = builtin_module("speech", 1);
    routes["sentences"] = route("checkout/outputs/sentence", "speech/inputs/say");
    routes["vocabulary"] = route("checkout/outputs/vocabulary", "speech/inputs/presynth");
    routes["spoken"] = route("speech/outputs/spoken", "checkout/inputs/spoken");
    routes["laneStatus"] = route("$edgeAgent/outputs/moduleStatus", "speech/inputs/laneStatus");
    routes["weightToSpeech"] = route("scale/outputs/weight", "speech/inputs/weight");
    m["modulesContent"]["speech"]["properties.desired"] = {{"device", "clock"},
                                                           {"wavDir", (dir / "wav").string()}};
    m["modulesContent"]["speech"]["properties.desired"].update(spec.speech_settings);
  }
  if (spec.barcodes) {
    modules["barcodes"] = builtin_module("barcodes", 2);
    routes["framesToBarcodes"] = route("camera/outputs/frames", "barcodes/inputs/frames");
    routes["codesToCheckout"] = route("barcodes/outputs/codes", "checkout/inputs/codes");
    m["modulesContent"]["barcodes"]["properties.desired"] = json::object();
  }
  for (auto& [name, settings] : spec.scanners.items()) {
    modules[name] = builtin_module("scanner", 1);
    routes[name + "Codes"] = route(name + "/outputs/codes", "checkout/inputs/codes");
    m["modulesContent"][name]["properties.desired"] = settings;
  }
  if (spec.keypad) {
    // The shopper's keypad: a FIFO that carries what /dev/input/event* would.
    mkfifo((dir / "keypad").c_str(), 0600);
    modules["keypad"] = builtin_module("keypad", 1);
    routes["keys"] = route("keypad/outputs/keys", "checkout/inputs/keys");
    m["modulesContent"]["keypad"]["properties.desired"] = {{"device", (dir / "keypad").string()}};
  }
  if (spec.web) {
    // The screens on any free port (reported as kioskUrl), fed as the shipped manifest feeds them.
    modules["web"] = builtin_module("web", 1);
    for (auto [name, from, to] :
         {std::tuple{"basketToWeb", "checkout/outputs/basket", "web/inputs/basket"},
          {"sentencesToWeb", "checkout/outputs/sentence", "web/inputs/sentence"},
          {"receiptsToWeb", "checkout/outputs/receipt", "web/inputs/receipt"},
          {"wordsToWeb", "checkout/outputs/vocabulary", "web/inputs/vocabulary"},
          {"spokenToWeb", "speech/outputs/spoken", "web/inputs/spoken"},
          {"predictionsToWeb", "classifier/outputs/predictions", "web/inputs/predictions"},
          {"framesToWeb", "camera/outputs/frames", "web/inputs/frames"},
          {"weightToWeb", "scale/outputs/weight", "web/inputs/weight"},
          {"laneStatusToWeb", "$edgeAgent/outputs/moduleStatus", "web/inputs/laneStatus"},
          {"kioskToCheckout", "web/outputs/commands", "checkout/inputs/commands"}})
      routes[name] = route(from, to);
    m["modulesContent"]["web"]["properties.desired"] = {{"port", 0}, {"stateDir", "${STATE_DIR}"}};
    m["modulesContent"]["web"]["properties.desired"].update(spec.web_settings);
  }
  std::ofstream(dir / "deployment.json") << m.dump(2);
  return dir;
}

// A carton of oat milk from the Grocery Store photos with an EAN-13 drawn
// by zint pasted on its front, as a package under the lane's camera.
inline std::string photo_with_code(const fs::path& dir, const std::string& digits) {
  fs::path code = dir / "code.png";
  int status = 0;
  std::string out =
      run("zint -b 13 --scale=1 -d " + digits + " -o " + code.string() + " 2>&1", &status);
  EXPECT_EQ(status, 0) << "zint (Debian's package) draws the code: " << out;
  cv::Mat bars = cv::imread(code.string());
  cv::Mat photo = cv::imread(shared_dir() +
                             "/datasets/grocery-store/val/Packages/Oat-Milk/Oatly-Oat-Milk/"
                             "Oatly-Oat-Milk_001.jpg");
  EXPECT_FALSE(bars.empty());
  EXPECT_FALSE(photo.empty());
  bars.copyTo(photo(
      cv::Rect((photo.cols - bars.cols) / 2, photo.rows - bars.rows - 10, bars.cols, bars.rows)));
  fs::path out_path = dir / "package.jpg";
  cv::imwrite(out_path.string(), photo);
  return out_path.string();
}

// A shopper comes to a lane that is up: the camera sees its source, the
// classifier has its model and the barcodes module (if any) its reader. Then
// `grams` are put on the scale, to stay. An item on the scale as the lane
// starts (a power cut mid-scan) may be asked to be turned before its code is
// read, the reader still loading; tests of the shopper's path start here.
inline bool place_when_up(Runtime& runtime, int grams, bool barcodes) {
  bool up = eventually(
      [&] {
        return reported_by(runtime, "camera").value("camera", "") == "connected" &&
               reported_by(runtime, "classifier").contains("learning") &&
               (!barcodes || reported_by(runtime, "barcodes").value("reader", "") == "ready");
      },
      std::chrono::seconds(40));
  int status = -1;
  if (up)
    runtime.cli("twin scale --set 'steps=[[600000, " + std::to_string(grams) + "]]'", &status);
  return status == 0;
}

// Presses keys on the lane's keypad FIFO as a USB keypad reports them.
class Keypad {
 public:
  explicit Keypad(const fs::path& fifo) {
    eventually([&] { return (fd_ = open(fifo.c_str(), O_WRONLY | O_NONBLOCK)) >= 0; },
               std::chrono::seconds(10));
  }
  ~Keypad() {
    if (fd_ >= 0) close(fd_);
  }
  bool open_ok() const { return fd_ >= 0; }
  bool press(unsigned short code) {
    for (input_event e : {input_event{{}, EV_KEY, code, 1}, input_event{{}, EV_SYN, 0, 0},
                          input_event{{}, EV_KEY, code, 0}})
      if (write(fd_, &e, sizeof e) != static_cast<ssize_t>(sizeof e)) return false;
    return true;
  }

 private:
  int fd_ = -1;
};

}  // namespace ce::testing_support
