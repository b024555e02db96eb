// Scene gating in the camera and the classifier's vote over a scene's frames.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "modules/camera/scene_gate.h"
#include "modules/classifier/scene_votes.h"
#include "vision_support.h"

using ce::SceneGate;
using Event = ce::SceneGate::Event;

namespace {

cv::Mat empty_scale() { return cv::Mat(240, 320, CV_8UC3, cv::Scalar(205, 210, 210)); }

cv::Mat noisy(const cv::Mat& img, int amplitude) {
  cv::Mat noise(img.size(), img.type()), out;
  cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(amplitude));
  cv::add(img, noise, out);
  return out;
}

}  // namespace

TEST(SceneGate, AStillSceneSendsItsFramesOnceAndThenNothing) {
  ce::SceneGateSettings s;
  s.settle_ms = 400;
  s.frames_per_scene = 3;
  SceneGate gate(s);
  long long t = 0;
  int sent = 0;
  auto step = [&](const cv::Mat& frame) {
    auto e = gate.look(frame, t);
    t += 100;
    if (gate.take_frame_for_classification()) ++sent;
    return e;
  };
  // An empty scale, with sensor noise: no events, no frames.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(step(noisy(empty_scale(), 6)), Event::None);
  EXPECT_EQ(sent, 0);

  cv::Mat banana = cv::imread(ce::vision_testing::photos("/Banana/", 1).at(0));
  cv::resize(banana, banana, cv::Size(320, 240));
  int present = 0;
  for (int i = 0; i < 3; ++i) present += step(banana) == Event::ItemPresent;  // still settling
  EXPECT_EQ(present, 0);
  EXPECT_EQ(sent, 0) << "nothing is classified before the scene is still for settleMs";
  std::string first_scene;
  for (int i = 0; i < 50; ++i) {  // five seconds of the same item
    if (step(noisy(banana, 4)) == Event::ItemPresent) {
      ++present;
      first_scene = gate.scene_id();
    }
  }
  EXPECT_EQ(present, 1);
  EXPECT_EQ(sent, 3) << "a still scene sends framesPerScene frames, then no more";

  // Moved on the scale: a new scene, classified again.
  cv::Mat moved;
  cv::flip(banana, moved, 1);
  for (int i = 0; i < 10; ++i) present += step(moved) == Event::ItemPresent;
  EXPECT_EQ(present, 2);
  EXPECT_NE(gate.scene_id(), first_scene);
  EXPECT_EQ(sent, 6);

  int removed = 0;
  for (int i = 0; i < 10; ++i) removed += step(empty_scale()) == Event::ItemRemoved;
  EXPECT_EQ(removed, 1);
  EXPECT_EQ(sent, 6);
}

TEST(SceneGate, AKnownEmptySceneMakesAnItemThereAtStartAnItem) {
  SceneGate gate({});
  gate.set_empty_scene(empty_scale());
  cv::Mat item = empty_scale();
  cv::circle(item, {160, 120}, 70, cv::Scalar(20, 180, 240), cv::FILLED);
  int present = 0;
  for (long long t = 0; t < 2000; t += 100) present += gate.look(item, t) == Event::ItemPresent;
  EXPECT_EQ(present, 1);
}

TEST(SceneGate, AnItemTheScaleSaysRestsIsAStillSceneAtOnce) {
  ce::SceneGateSettings s;
  s.settle_ms = 400;
  s.frames_per_scene = 3;
  SceneGate gate(s);
  gate.set_empty_scene(empty_scale());
  cv::Mat item = empty_scale();
  cv::circle(item, {160, 120}, 70, cv::Scalar(20, 180, 240), cv::FILLED);
  // An empty scale at rest: the scale's word makes no scene of it.
  EXPECT_EQ(gate.look(empty_scale(), 0), Event::None);
  EXPECT_EQ(gate.item_at_rest(0), Event::None);
  EXPECT_FALSE(gate.take_frame_for_classification(0));
  // The item has just come into view; the gate alone would wait 400 ms.
  EXPECT_EQ(gate.look(item, 200), Event::None);
  EXPECT_FALSE(gate.holds_still_item());
  EXPECT_EQ(gate.item_at_rest(250), Event::ItemPresent);
  std::string scene = gate.scene_id();
  EXPECT_TRUE(gate.holds_still_item());
  int sent = gate.take_frame_for_classification(250);
  // Still afterwards: the same scene, its other frames, and no second arrival.
  for (long long t = 400; t < 1400; t += 200) {
    EXPECT_EQ(gate.look(item, t), Event::None);
    EXPECT_EQ(gate.item_at_rest(t), Event::None);
    sent += gate.take_frame_for_classification(t);
  }
  EXPECT_EQ(gate.scene_id(), scene);
  EXPECT_EQ(sent, 3);
  // A hand moves it: the next still scene is a new one, as ever.
  cv::Mat moved;
  cv::flip(item, moved, 0);
  cv::circle(moved, {60, 60}, 30, cv::Scalar(0, 0, 0), cv::FILLED);
  int present = 0;
  for (long long t = 1400; t < 2400; t += 200) present += gate.look(moved, t) == Event::ItemPresent;
  EXPECT_EQ(present, 1);
  EXPECT_NE(gate.scene_id(), scene);
}

TEST(SceneVotes, AveragesTheFramesOfOneSceneAndStartsOverForTheNext) {
  ce::SceneVotes votes;
  auto frame = [](float banana, float plantain) {
    return std::vector<ce::Prediction>{{"Banana", 0, banana}, {"Plantain", 1, plantain}};
  };
  auto p = votes.add("s1", frame(0.4f, 0.6f));
  EXPECT_EQ(p[0].tag_name, "Plantain");
  votes.add("s1", frame(0.9f, 0.1f));
  p = votes.add("s1", frame(0.8f, 0.2f));
  EXPECT_EQ(votes.frames(), 3);
  EXPECT_EQ(p[0].tag_name, "Banana");
  EXPECT_NEAR(p[0].probability, 0.7f, 1e-6);
  EXPECT_NEAR(p[1].probability, 0.3f, 1e-6);
  p = votes.add("s2", frame(0.2f, 0.8f));
  EXPECT_EQ(votes.frames(), 1);
  EXPECT_NEAR(p[0].probability, 0.8f, 1e-6);
  votes.add("", frame(0.5f, 0.5f));
  p = votes.add("", frame(0.1f, 0.9f));  // no scene id: every frame decides alone
  EXPECT_EQ(votes.frames(), 1);
  EXPECT_NEAR(p[0].probability, 0.9f, 1e-6);
}
