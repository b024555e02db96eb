// The lane learns its store, through the real processes: an orange the
// model takes for a lemon is answered once on the keypad (keypad → hub →
// checkout → hub → classifier), and the same orange placed again is rung
// up without a question; a voided line teaches nothing; staff's removal of
// what was learnt brings the question back.
#include <gtest/gtest.h>
#include <signal.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "journal_reader.h"
#include "lane_support.h"

using namespace ce::testing_support;
using namespace std::chrono_literals;

namespace {

// SqueezeNet (ImageNet) takes this orange for a lemon (0.64 against 0.34),
// and the mirrored photo too (0.67 against 0.32): at the plain threshold of
// 0.7 the model alone asks both times. Its pooled scores ("pool10_1") are
// the embedding the memory compares photos by.
constexpr const char* kOrange = "/datasets/grocery-store/val/Fruit/Orange/Orange_002.jpg";

// A lane whose shopper places the photos in `images` one after another
// (each `item_ms` on the scale), with speech, a keypad and learning.
fs::path learning_lane(const std::string& name, const std::vector<cv::Mat>& images,
                       long long item_ms, double threshold = 0.7) {
  LaneSpec spec;
  spec.name = name;
  spec.threshold = threshold;
  spec.speech = spec.keypad = true;
  fs::path dir = write_lane(spec);
  json items = json::array();
  for (size_t i = 0; i < images.size(); ++i) {
    std::string file = "item" + std::to_string(i) + ".jpg";
    cv::imwrite((dir / file).string(), images[i]);
    items.push_back({{"image", file}, {"grams", 180 + 5 * static_cast<int>(i)}});
  }
  std::ofstream(dir / "shopper.json") << json{
      {"leadInMs", 6000},
      {"gapMs", 2500},
      {"itemMs", item_ms},
      {"settleMs", 400},
      {"items", items}}.dump();
  std::ofstream(dir / "catalogue.json") << R"({"currency": "USD", "products": [
    {"id": "3107", "name": "Orange", "tags": ["orange"], "pricePerKg": 349},
    {"id": "4053", "name": "Lemon", "tags": ["lemon"], "pricePerKg": 399}]})";
  json m = json::parse(ce::read_file(dir / "deployment.json"));
  auto& content = m["modulesContent"];
  content["camera"]["properties.desired"] = {{"scenario", (dir / "shopper.json").string()},
                                             {"imagesRoot", dir.string()},
                                             {"emptyScene", (dir / "empty.png").string()},
                                             {"fps", 10}};
  content["scale"]["properties.desired"] = {{"scenario", (dir / "shopper.json").string()},
                                            {"hz", 10}};
  content["classifier"]["properties.desired"]["model"]["embeddingOutput"] = "pool10_1";
  std::ofstream(dir / "deployment.json") << m.dump(2);
  return dir;
}

cv::Mat orange() { return cv::imread(shared_dir() + kOrange); }
cv::Mat mirrored(const cv::Mat& img) {
  cv::Mat out;
  cv::flip(img, out, 1);
  return out;
}

// A direct method's payload, as `checkout-edge call` prints it.
json payload_of(const std::string& printed) {
  json j = json::parse(printed, nullptr, false);
  return j.is_object() && j.contains("payload") ? j["payload"] : json();
}

const std::string kAsked = "Is it 1 Lemon, 2 Orange? Press the number, or 0 for none.";

}  // namespace

TEST(Learning, AProductAnsweredOnceOnTheKeypadIsKnownTheNextTime) {
  fs::path dir = learning_lane("learn", {orange(), mirrored(orange())}, 16000);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  std::string log;
  ASSERT_TRUE(runtime.logged("speech", kAsked, 60s, &log))
      << log << runtime.cli("logs classifier --tail 20") << runtime.cli("logs checkout --tail 20");
  Keypad keypad(dir / "keypad");
  ASSERT_TRUE(keypad.press(KEY_KP2));
  ASSERT_TRUE(runtime.logged("classifier", "learnt orange from scene", 15s, &log))
      << log << runtime.cli("logs checkout --tail 10");
  // The second orange: rung up as an orange, without a question.
  std::string checkout;
  bool second = eventually(
      [&] {
        checkout = runtime.cli("logs checkout");
        return count_of(checkout, "checkout: Orange, ") >= 2;
      },
      40s);
  EXPECT_TRUE(second) << checkout << runtime.cli("logs classifier --tail 20");
  EXPECT_EQ(count_of(runtime.cli("logs speech"), kAsked), 1u) << "asked about the first only";
  auto lines = journal_lines(runtime.state() / "data/checkout/journal.db");
  ASSERT_EQ(lines.size(), 2u);
  for (auto& l : lines) EXPECT_EQ(l.product_id, "3107");
  // Staff see what was learnt, and from whom.
  json memory = payload_of(runtime.cli("call classifier memory"));
  ASSERT_TRUE(memory.is_object()) << runtime.cli("call classifier memory");
  EXPECT_EQ(memory["examples"], 1);
  EXPECT_EQ(memory["tags"][0]["tag"], "orange");
  EXPECT_EQ(memory["tags"][0]["sources"]["answer"], 1);
  EXPECT_EQ(memory["tags"][0]["who"]["keypad"], 1) << memory;
}

TEST(Learning, AVoidedLineTeachesNothingAndStaffRemovalBringsTheQuestionBack) {
  cv::Mat shifted;
  cv::Mat o = orange();
  cv::Mat move = (cv::Mat_<double>(2, 3) << 1, 0, 6, 0, 1, 4);  // the same orange, 6 px along
  cv::warpAffine(o, shifted, move, o.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  fs::path dir = learning_lane("unlearn", {o, mirrored(o), shifted, mirrored(shifted)}, 14000);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  Keypad keypad(dir / "keypad");
  auto asked = [&](size_t n) {
    return eventually([&] { return count_of(runtime.cli("logs speech"), kAsked) >= n; }, 40s);
  };
  auto orange_lines = [&](size_t n) {
    return eventually(
        [&] { return count_of(runtime.cli("logs checkout"), "checkout: Orange, ") >= n; }, 40s);
  };
  // 1: asked, answered, then voided: evidence against, not for.
  ASSERT_TRUE(asked(1)) << runtime.cli("logs checkout --tail 20");
  ASSERT_TRUE(keypad.press(KEY_KP2));
  ASSERT_TRUE(orange_lines(1));
  ASSERT_TRUE(keypad.press(KEY_KPMINUS));
  ASSERT_TRUE(runtime.logged("classifier", "kept evidence against orange", 15s))
      << runtime.cli("logs classifier --tail 20") << runtime.cli("logs checkout --tail 10");
  // 2: asked again (the void taught nothing for it); answered and kept.
  ASSERT_TRUE(asked(2)) << runtime.cli("logs checkout --tail 20")
                        << runtime.cli("logs classifier --tail 20");
  ASSERT_TRUE(keypad.press(KEY_KP2));
  ASSERT_TRUE(runtime.logged("classifier", "learnt orange", 15s));
  // 3: known without a question.
  ASSERT_TRUE(orange_lines(3)) << runtime.cli("logs checkout --tail 20");
  EXPECT_EQ(count_of(runtime.cli("logs speech"), kAsked), 2u);
  // Staff remove what was learnt of oranges: 4 is asked about again.
  std::string reply = runtime.cli("call classifier forgetTag '{\"tag\": \"orange\"}'");
  EXPECT_NE(reply.find("\"forgotten\""), std::string::npos) << reply;
  EXPECT_TRUE(asked(3)) << runtime.cli("logs checkout --tail 20")
                        << runtime.cli("logs classifier --tail 20");
  // What it learnt survives a kill -9 of the classifier: it comes back with it.
  json before = payload_of(runtime.cli("call classifier memory"));
  ASSERT_TRUE(before.is_object());
  int pid = runtime.module("classifier").value("pid", 0);
  ASSERT_GT(pid, 0);
  kill(pid, SIGKILL);
  ASSERT_TRUE(eventually([&] {
    json now = runtime.module("classifier");
    return now.value("pid", 0) != pid && now.value("health", "") == "healthy";
  }));
  json after = payload_of(runtime.cli("call classifier memory"));
  ASSERT_TRUE(after.is_object());
  EXPECT_EQ(after["examples"], before["examples"]);
  EXPECT_EQ(after["outcomes"], before["outcomes"]);
}

TEST(Learning, AStaffCorrectionRingsUpTheRightProductAndTeachesIt) {
  // At a plain threshold of 0.6 the model rings the orange up as a lemon.
  fs::path dir = learning_lane("correct", {orange(), mirrored(orange())}, 14000, 0.6);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  ASSERT_TRUE(runtime.logged("checkout", "checkout: Lemon, ", 60s))
      << runtime.cli("logs checkout --tail 20") << runtime.cli("logs classifier --tail 20");
  // Staff, at the lane's shell (the console sends the same command).
  std::string reply = runtime.cli(
      "call checkout command '{\"command\": \"correct\", \"line\": 1, \"productId\": "
      "\"3107\"}'");
  EXPECT_NE(reply.find("Removed Lemon."), std::string::npos) << reply;
  EXPECT_NE(reply.find("Orange, "), std::string::npos) << reply;
  ASSERT_TRUE(runtime.logged("classifier", "learnt orange", 15s))
      << runtime.cli("logs classifier --tail 20");
  // The same orange again: an orange now, not a lemon.
  bool second = eventually(
      [&] { return count_of(runtime.cli("logs checkout"), "checkout: Orange, ") >= 2; }, 40s);
  EXPECT_TRUE(second) << runtime.cli("logs checkout --tail 20");
  EXPECT_EQ(count_of(runtime.cli("logs checkout"), "checkout: Lemon, "), 1u);
  json memory = payload_of(runtime.cli("call classifier memory"));
  EXPECT_EQ(memory["tags"][0]["sources"]["staff"], 1) << memory;
  EXPECT_EQ(memory["tags"][0]["who"]["staff"], 1) << memory;
}
