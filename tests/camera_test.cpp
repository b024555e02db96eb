// The camera and classifier as real processes under the runtime: scene
// gating and a camera that disappears and comes back.
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "test_support.h"

using namespace ce::testing_support;
using namespace std::chrono_literals;

namespace {

std::string photo(const std::string& path) {
  return shared_dir() + "/datasets/grocery-store/" + path;
}

class Camera : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) / ("camera-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    // The camera in a folder of its own: the lane's state folder is beside it,
    // and a confined module sees a file made there later only inside a
    // folder it was given (runtime/module_sandbox.h).
    fs::create_directories(dir_ / "device");
    // The empty scale, as a photo; the "camera" is one image file.
    cv::imwrite((dir_ / "empty.png").string(),
                cv::Mat(240, 320, CV_8UC3, cv::Scalar(205, 210, 210)));
    fs::copy_file(photo("val/Fruit/Banana/Banana_001.jpg"), dir_ / "device/camera.jpg");

    json m;
    m["modulesContent"]["$edgeAgent"]["properties.desired"] = {
        {"schemaVersion", "1.1"},
        {"runtime", {{"type", "process"}, {"settings", {{"restartBackoffBaseMs", 200}}}}},
        {"modules",
         {{"classifier", builtin_module("classifier", 1)},
          {"camera", builtin_module("camera", 2)}}}};
    m["modulesContent"]["$edgeHub"]["properties.desired"]["routes"] = {
        {"frames",
         "FROM /messages/modules/camera/outputs/frames INTO "
         "BrokeredEndpoint(\"/modules/classifier/inputs/frames\")"}};
    m["modulesContent"]["camera"]["properties.desired"] = {
        {"source", (dir_ / "device/camera.jpg").string()},
        {"emptyScene", (dir_ / "empty.png").string()},
        {"fps", 10},
        {"retryMinMs", 100},
        {"retryMaxMs", 400},
        {"gate", {{"settleMs", 300}, {"framesPerScene", 3}}}};
    m["modulesContent"]["classifier"]["properties.desired"] = {
        {"model",
         {{"package", shared_dir() + "/models/custom-vision-exports/azure_apples_bananas-tf"}}}};
    std::ofstream(dir_ / "deployment.json") << m.dump(2);
    runtime_ = std::make_unique<Runtime>(dir_ / "state", dir_ / "deployment.json");
    runtime_->start();
    ASSERT_TRUE(runtime_->started());
  }
  json reported(const std::string& module) { return reported_by(*runtime_, module); }

  fs::path dir_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(Camera, AStillSceneIsClassifiedOnceOverItsFramesAndThenLeftAlone) {
  ASSERT_TRUE(eventually([&] { return reported("camera").value("framesSent", 0) == 3; }, 30s))
      << reported("camera").dump(2);
  json scene;
  ASSERT_TRUE(eventually(
      [&] {
        scene = reported("classifier")["lastScene"];
        return scene.is_object() && scene["frames"] == 3;
      },
      20s))
      << reported("classifier").dump(2);
  EXPECT_EQ(scene["sceneId"], reported("camera")["sceneId"]);
  EXPECT_EQ(scene["candidates"][0]["tagName"], "Banana");
  EXPECT_EQ(reported("camera")["scene"], "item");
  // Ten frames a second keep coming from the camera; only one every
  // gate.repeatMs (2 s) is classified again, for a classifier that restarted.
  // (Counted over a measured span: each look at the twin takes a while.)
  int before = reported("camera")["framesSent"].get<int>();
  auto since = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(4s);
  int after = reported("camera")["framesSent"].get<int>();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
  EXPECT_LE(after - before, static_cast<int>(seconds / 2.0) + 1)
      << after - before << " frames in " << seconds << " s";
}

TEST_F(Camera, ACameraThatDisappearsIsReportedAndResumesWithoutExiting) {
  ASSERT_TRUE(eventually([&] { return reported("camera").value("framesSent", 0) == 3; }, 30s));
  int pid = runtime_->module("camera")["pid"];

  fs::remove(dir_ / "device/camera.jpg");  // unplugged
  ASSERT_TRUE(eventually([&] { return reported("camera")["camera"] == "missing"; }, 10s))
      << reported("camera").dump(2);
  std::this_thread::sleep_for(1s);  // several retries, with backoff
  EXPECT_EQ(runtime_->module("camera")["pid"], pid) << "the camera must not exit and restart";
  EXPECT_EQ(runtime_->module("camera")["restarts"], 0);

  // Back, now seeing an apple: a new scene, classified again.
  fs::copy_file(photo("val/Fruit/Apple/Granny-Smith/Granny-Smith_003.jpg"),
                dir_ / "device/tmp.jpg");
  fs::rename(dir_ / "device/tmp.jpg", dir_ / "device/camera.jpg");
  ASSERT_TRUE(eventually([&] { return reported("camera")["camera"] == "connected"; }, 10s));
  ASSERT_TRUE(eventually([&] { return reported("camera").value("framesSent", 0) == 6; }, 20s))
      << reported("camera").dump(2);
  json scene;
  ASSERT_TRUE(eventually(
      [&] {
        scene = reported("classifier")["lastScene"];
        return scene["frames"] == 3 && scene["sceneId"] == reported("camera")["sceneId"];
      },
      20s))
      << reported("classifier").dump(2);
  EXPECT_EQ(scene["candidates"][0]["tagName"], "Apple");
  EXPECT_EQ(runtime_->module("camera")["pid"], pid);
}

}  // namespace
