// The checkout's flow with the real camera (scene gating), classifier, scale,
// checkout and speech processes: a weight outside the product's plausible
// range is questioned aloud and not charged; an unsure scan is a question the
// keypad answers; the basket is paid with a receipt; speech prepares the
// catalogue's words before the first scan; a sure image's name is said
// before the weight settles, and its price after it without the name again.
#include <gtest/gtest.h>
#include <httplib.h>

#include <regex>

#include "journal_reader.h"
#include "lane_support.h"
#include "modules/classifier/model.h"

using namespace ce::testing_support;
using namespace std::chrono_literals;

namespace {

// A banana photo under the camera and `grams` on the scale from the start;
// with `speech`, sentences go to a speech module and keys come from a keypad.
fs::path flow_system(const std::string& name, int grams, double threshold, bool speech) {
  LaneSpec spec;
  spec.name = name;
  spec.steps = json::array({{600000, grams}});
  spec.threshold = threshold;
  spec.speech = spec.keypad = speech;
  return write_lane(spec);
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
  EXPECT_TRUE(journal_lines(journal).empty()) << "nothing is charged";
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
  EXPECT_TRUE(journal_lines(runtime.state() / "data/checkout/journal.db").empty());

  // The catalogue's words were made into sound before they were needed.
  auto cache = runtime.state() / "data/speech/audio-cache";
  EXPECT_TRUE(fs::exists(cache));
  size_t sounds = 0;
  if (fs::exists(cache))
    for (auto& f : fs::directory_iterator(cache)) sounds += f.path().extension() == ".pcm";
  EXPECT_GE(sounds, 10u);

  // The shopper presses 1 on the keypad.
  Keypad keypad(dir / "keypad");
  ASSERT_TRUE(keypad.open_ok()) << runtime.cli("logs keypad");
  ASSERT_TRUE(keypad.press(KEY_KP1));
  bool added = runtime.logged("checkout", "Banana, 0.42 kilograms, 1 dollar 26.", 10s);
  EXPECT_TRUE(added) << runtime.cli("logs checkout --tail 10") << runtime.cli("logs keypad");
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

namespace {

// What the lane's classifier makes of its photo, highest first.
std::vector<ce::Prediction> what_the_model_sees(const fs::path& photo) {
  ce::Model model = ce::Model::load(
      json{{"file", shared_dir() + "/models/imagenet-squeezenet/SqueezeNet_fp32.onnx"},
           {"labels", shared_dir() + "/models/imagenet-squeezenet/Labels.txt"},
           {"resize", "shorter-side"},
           {"mean", {104, 117, 123}}});
  return model.classify(cv::imread(photo.string(), cv::IMREAD_COLOR));
}

// Writes the lane's catalogue: a banana and a "melon" whose tags are the
// ten the model ranks below banana for the lane's photo, so that the image
// alone picks the banana; each with its plausible grams.
void banana_and_melon(const fs::path& dir, json banana_grams, json melon_grams) {
  auto seen = what_the_model_sees(dir / "camera.jpg");
  ASSERT_EQ(seen.at(0).tag_name, "banana");
  json melon_tags = json::array();
  double melon = 0;
  for (size_t i = 1; i <= 10; ++i) {
    melon_tags.push_back(seen.at(i).tag_name);
    melon += seen.at(i).probability;
  }
  ASSERT_GT(seen[0].probability, melon) << "the image alone must pick the banana";
  std::ofstream(dir / "catalogue.json") << json{{"currency", "USD"},
                                                {"products",
                                                 {{{"id", "4011"},
                                                   {"name", "Banana"},
                                                   {"tags", {"banana"}},
                                                   {"pricePerKg", 299},
                                                   {"plausibleGrams", banana_grams}},
                                                  {{"id", "4032"},
                                                   {"name", "Melon"},
                                                   {"tags", melon_tags},
                                                   {"pricePerKg", 199},
                                                   {"plausibleGrams", melon_grams}}}}};
}

}  // namespace

TEST(CheckoutFlow, TheWeightOverrulesTheImageWhenItRulesTheImagesProductOut) {
  // 2.5 kg on the scale under a banana photo. The catalogue has a banana
  // (at most 1.5 kg) and a "melon" whose tags are what the model ranks below
  // banana: the image alone says banana; the weight says melon.
  fs::path dir = flow_system("weight-reranks", 2500, 0.3, false);
  banana_and_melon(dir, {40, 1500}, {1000, 12000});
  if (HasFatalFailure()) return;
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  std::string log;
  EXPECT_TRUE(runtime.logged("checkout", "Melon, 2.5 kilograms, 4 dollars 98.", 40s, &log)) << log;
  auto lines = journal_lines(runtime.state() / "data/checkout/journal.db");
  ASSERT_EQ(lines.size(), 1u) << log;
  EXPECT_EQ(lines[0].product_id, "4032");
  EXPECT_EQ(lines[0].grams, 2500);
  EXPECT_EQ(log.find("Please check"), std::string::npos) << "not questioned: the weight decided";
}

TEST(CheckoutFlow, ASureImagesNameIsSaidBeforeTheWeightSettlesAndThePriceAfterIt) {
  // The scale swings for 6 s (a heavy hand, a slow scale); the camera's
  // scene is still long before.
  LaneSpec spec;
  spec.name = "name-first";
  spec.threshold = 0.3;
  spec.speech = true;
  spec.scale = {{"settleMs", 6000}};
  fs::path dir = write_lane(spec);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  std::string log;
  ASSERT_TRUE(runtime.logged("speech", "0.42 kilograms, 1 dollar 26.", 40s, &log))
      << log << runtime.cli("logs checkout --tail 20");
  // "Banana." alone, heard to its end, well before the weight settled.
  std::smatch name;
  ASSERT_TRUE(std::regex_search(
      log, name,
      std::regex(
          R"(speech: "Banana\." \(first sample at \d+, (\d+) ms after the item was placed\))")))
      << log;
  EXPECT_LT(std::stoi(name[1]), 5000) << log;
  EXPECT_LT(log.find("\"Banana.\""), log.find("\"0.42 kilograms, 1 dollar 26.\"")) << log;
  EXPECT_EQ(log.find("\"Banana, 0.42"), std::string::npos) << "the name is not said twice: " << log;
  EXPECT_EQ(log.find("(interrupted)"), std::string::npos) << log;
  // The basket has the whole line, and it counts as announced.
  auto journal = runtime.state() / "data/checkout/journal.db";
  EXPECT_TRUE(eventually(
      [&] {
        auto lines = journal_lines(journal);
        return lines.size() == 1 && lines[0].announced;
      },
      10s))
      << runtime.cli("logs checkout --tail 20");
  EXPECT_TRUE(runtime.logged("checkout", "Banana, 0.42 kilograms, 1 dollar 26.", 1s));
}

TEST(CheckoutFlow, SureOfTheGroupNotTheVarietyTheKeypadsNotSureStillRingsItUp) {
  // Two bananas of one group: "Cavendish" (the model's banana) and
  // "Plantain" (what it ranks below). The threshold lies between what the
  // image gives Cavendish and what it gives both: the variety is unsure,
  // the group is not.
  fs::path dir = flow_system("varieties", 420, 0.3, true);
  auto seen = what_the_model_sees(dir / "camera.jpg");
  ASSERT_EQ(seen.at(0).tag_name, "banana");
  json plantain_tags = json::array();
  double rest = 0;
  for (size_t i = 1; i <= 9; ++i) {
    plantain_tags.push_back(seen.at(i).tag_name);
    rest += seen.at(i).probability;
  }
  double threshold = seen[0].probability + rest / 2;
  ASSERT_LT(threshold, 1.0);
  std::ofstream(dir / "catalogue.json") << json{{"currency", "USD"},
                                                {"products",
                                                 {{{"id", "4011"},
                                                   {"name", "Cavendish"},
                                                   {"tags", {"banana"}},
                                                   {"pricePerKg", 299},
                                                   {"group", "banana"}},
                                                  {{"id", "4235"},
                                                   {"name", "Plantain"},
                                                   {"tags", plantain_tags},
                                                   {"pricePerKg", 249},
                                                   {"group", "banana"}}}}};
  json manifest = json::parse(std::ifstream(dir / "deployment.json"));
  manifest["modulesContent"]["checkout"]["properties.desired"]["threshold"] = threshold;
  std::ofstream(dir / "deployment.json") << manifest.dump(2);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  std::string log;
  ASSERT_TRUE(runtime.logged("speech",
                             "Which banana is it? 1 Cavendish, 2 Plantain. Press the number, 3 "
                             "if you do not know which, or 0 for none.",
                             40s, &log))
      << log << runtime.cli("logs checkout --tail 20");
  // The shopper cannot tell: 3.
  Keypad keypad(dir / "keypad");
  ASSERT_TRUE(keypad.open_ok()) << runtime.cli("logs keypad");
  ASSERT_TRUE(keypad.press(KEY_KP3));
  EXPECT_TRUE(runtime.logged("speech", "banana, 0.42 kilograms, 1 dollar 5.", 10s, &log))
      << log << runtime.cli("logs checkout --tail 10");
  auto lines = journal_lines(runtime.state() / "data/checkout/journal.db");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].product_id, "4235") << "charged as the cheaper banana";
  EXPECT_EQ(lines[0].price_minor, 105);  // 249 x 0.420 = 104.58
}

TEST(CheckoutFlow, WhatTheLaneSawAProductWeighOverrulesTheImage) {
  // 900 g under a banana photo: the catalogue allows a banana that heavy,
  // but every banana this lane sold weighed 120 to 200 g, and every melon
  // (the tags the model ranks below banana) 1 to 2 kg.
  fs::path dir = flow_system("weights-seen", 900, 0.3, false);
  banana_and_melon(dir, {40, 3000}, {300, 12000});
  if (HasFatalFailure()) return;
  fs::path journal = dir / "state/data/checkout/journal.db";
  fs::create_directories(journal.parent_path());
  {
    ce::Journal history(journal.string());
    int n = 0;
    for (int grams : {120, 150, 180, 200, 160})
      for (const char* product : {"4011", "4032"}) {
        bool banana = std::string(product) == "4011";
        ce::BasketLine l{0,
                         "old-" + std::to_string(++n),
                         1,
                         product,
                         banana ? "Banana" : "Melon",
                         banana ? grams : grams * 10,
                         1,
                         299,
                         true,
                         100,
                         "USD",
                         1.0};
        history.add(l);
        history.mark_announced(l.line_no);
      }
    history.close_basket("paid", {{"basket", 1}});
    history.set_item_on_scale(std::nullopt);
  }
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  std::string log;
  EXPECT_TRUE(runtime.logged("checkout", "Melon, 0.9 kilograms, 1 dollar 79.", 40s, &log)) << log;
  auto lines = journal_lines(journal);
  ASSERT_EQ(lines.size(), 1u) << log;
  EXPECT_EQ(lines[0].product_id, "4032");
}

// A question belongs to its item: paying while it is open is refused aloud
// (keypad → hub → checkout → speech) and the item is not lost; answered,
// it is charged and paid with the rest.
TEST(CheckoutFlow, PayWhileAQuestionIsOpenIsRefusedAndTheItemIsKept) {
  fs::path dir = flow_system("pay-question", 420, 0.999, true);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  ASSERT_TRUE(runtime.logged("speech", "Is it 1 Banana? Press the number, or 0 for none.", 40s))
      << runtime.cli("logs checkout --tail 20");
  Keypad keypad(dir / "keypad");
  ASSERT_TRUE(keypad.press(KEY_KPENTER));
  ASSERT_TRUE(keypad.press(KEY_KPENTER));
  std::string log;
  EXPECT_TRUE(
      runtime.logged("speech", "Please answer the question about the last item first.", 10s, &log))
      << log;
  json basket = json::parse(runtime.cli("call checkout basket"), nullptr, false)["payload"];
  EXPECT_TRUE(basket.contains("question")) << basket;
  EXPECT_TRUE(basket["lines"].empty()) << basket;
  EXPECT_FALSE(fs::exists(runtime.state() / "data/checkout/receipts/receipt-1.txt"));
  ASSERT_TRUE(keypad.press(KEY_KP1));
  ASSERT_TRUE(runtime.logged("checkout", "Banana, 0.42 kilograms, 1 dollar 26.", 10s));
  ASSERT_TRUE(keypad.press(KEY_KPENTER));
  ASSERT_TRUE(keypad.press(KEY_KPENTER));
  auto receipt = runtime.state() / "data/checkout/receipts/receipt-1.txt";
  ASSERT_TRUE(eventually([&] { return fs::exists(receipt); }, 10s))
      << runtime.cli("logs checkout --tail 10");
  EXPECT_NE(ce::read_file(receipt).find("Banana"), std::string::npos);
}

// The item is lifted while the lane asks about it: the question is
// withdrawn, said so, and gone from the basket the screens show.
TEST(CheckoutFlow, ALiftedItemsQuestionIsWithdrawnAloud) {
  LaneSpec spec;
  spec.name = "withdrawn";
  spec.steps = json::array({{14000, 420}, {600000, 0}});
  spec.threshold = 0.999;
  spec.speech = spec.keypad = true;
  fs::path dir = write_lane(spec);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  ASSERT_TRUE(runtime.logged("speech", "Is it 1 Banana?", 40s))
      << runtime.cli("logs checkout --tail 20");
  std::string log;
  EXPECT_TRUE(runtime.logged(
      "speech", "The item was taken off, so its question is withdrawn. Place it again to add it.",
      30s, &log))
      << log << runtime.cli("logs checkout --tail 10");
  json basket = json::parse(runtime.cli("call checkout basket"), nullptr, false)["payload"];
  EXPECT_FALSE(basket.contains("question")) << basket;
}

// A setting read at start, changed live, is applied by a restart the
// module asks for, not reported and ignored: the REST API comes up on the
// port staff set.
TEST(CheckoutFlow, ARestPortSetLiveIsListenedOn) {
  fs::path dir = flow_system("rest-port", 420, 0.3, false);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  ASSERT_TRUE(
      eventually([&] { return runtime.module("classifier").value("health", "") == "healthy"; }));
  int port = 0;
  {
    // A port free now: bound and released.
    httplib::Server probe;
    port = probe.bind_to_any_port("127.0.0.1");
  }
  ASSERT_GT(port, 0);
  int status = -1;
  std::string out = runtime.cli("twin classifier --set restPort=" + std::to_string(port), &status);
  ASSERT_EQ(status, 0) << out;
  httplib::Client rest("127.0.0.1", port);
  EXPECT_TRUE(eventually(
      [&] {
        auto r = rest.Get("/health");
        return r && r->status == 200;
      },
      30s))
      << runtime.cli("logs classifier --tail 10");
}

TEST(CheckoutFlow, AnUnknownCommandFailsNamingIt) {
  int status = 0;
  std::string out = run(std::string(CE_BINARY) + " replays --help 2>&1", &status);
  EXPECT_NE(status, 0) << out;
  EXPECT_NE(out.find("there is no command 'replays'"), std::string::npos) << out;
}
