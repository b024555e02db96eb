// The whole system, as a user runs it: `checkout-edge run` with the real
// broker and every module, on real photos from the shared dataset.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "journal_reader.h"
#include "runtime/broker.h"
#include "runtime/state_dir.h"
#include "test_support.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;
using ce::testing_support::Runtime;
using ce::testing_support::shared_dir;

namespace {

struct WavInfo {
  int sample_rate = 0;
  double rms = 0;
  size_t samples = 0;
};

WavInfo read_wav(const std::string& path) {
  std::string bytes = ce::read_file(path);
  WavInfo w;
  if (bytes.size() < 44 || bytes.compare(0, 4, "RIFF") || bytes.compare(8, 4, "WAVE")) return w;
  std::memcpy(&w.sample_rate, bytes.data() + 24, 4);
  const int16_t* s = reinterpret_cast<const int16_t*>(bytes.data() + 44);
  w.samples = (bytes.size() - 44) / 2;
  double sum = 0;
  for (size_t i = 0; i < w.samples; ++i) sum += double(s[i]) * s[i];
  w.rms = w.samples ? std::sqrt(sum / w.samples) : 0;
  return w;
}

class System : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(shared_dir() + "/models/imagenet-squeezenet/SqueezeNet_fp32.onnx"))
        << "the shared assets are missing at " << shared_dir()
        << "; set CHECKOUT_EDGE_SHARED to the folder with datasets/ and models/";
    dir_ = fs::path(testing::TempDir()) / ("system-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "config");
    state_ = dir_ / "state";
    rest_port_ = ce::find_free_loopback_port();

    // The shipped deployment, with a short scenario of four items, a fast
    // restart backoff and the REST API on.
    std::ifstream in(CE_SOURCE_DIR "/config/deployment.json");
    json manifest = json::parse(in);
    auto& agent = manifest["modulesContent"]["$edgeAgent"]["properties.desired"];
    agent["runtime"]["settings"]["restartBackoffBaseMs"] = 200;
    manifest["modulesContent"]["classifier"]["properties.desired"]["restPort"] = rest_port_;
    manifest["modulesContent"]["web"]["properties.desired"]["port"] = 0;
    std::ofstream(dir_ / "config/deployment.json") << manifest.dump(2);
    fs::copy_file(CE_SOURCE_DIR "/config/catalogue.json", dir_ / "config/catalogue.json");
    json scenario = {{"leadInMs", 3000},
                     {"gapMs", 800},
                     {"itemMs", 1600},
                     {"settleMs", 300},
                     {"items", json::array()}};
    for (auto& [image, grams] : items_)
      scenario["items"].push_back({{"image", image}, {"grams", grams}});
    std::ofstream(dir_ / "config/demo-scenario.json") << scenario.dump(2);

    runtime_ = std::make_unique<Runtime>(state_, dir_ / "config/deployment.json");
    runtime_->start();
  }

  json agent_state() { return runtime_->agent(); }
  json module_state(const std::string& name) { return runtime_->module(name); }
  std::string cli(const std::string& args, int* status = nullptr) {
    return runtime_->cli(args, status);
  }

  fs::path dir_, state_;
  std::unique_ptr<Runtime> runtime_;
  int rest_port_ = 0;
  std::vector<std::pair<std::string, int>> items_{
      {"val/Fruit/Banana/Banana_001.jpg", 420},
      {"val/Fruit/Apple/Granny-Smith/Granny-Smith_003.jpg", 182},
      {"val/Fruit/Lemon/Lemon_003.jpg", 118},
      {"val/Fruit/Pomegranate/Pomegranate_003.jpg", 310}};
};

TEST_F(System, PhotosInSpokenPricedBasketOut) {
  // Every module comes up, as `list` shows.
  bool all_running = false;
  for (int i = 0; i < 100 && !all_running; ++i) {
    std::this_thread::sleep_for(100ms);
    auto a = agent_state();
    all_running = a.is_object() && a["modules"].size() == 8;
    if (all_running)
      for (auto& m : a["modules"]) all_running = all_running && m["status"] == "running";
  }
  ASSERT_TRUE(all_running) << agent_state().dump(2);
  int status = -1;
  std::string list = cli("list", &status);
  EXPECT_EQ(status, 0) << list;
  for (const char* m :
       {"edgeHub", "camera", "classifier", "scale", "checkout", "speech", "barcodes"})
    EXPECT_NE(list.find(m), std::string::npos) << list;
  EXPECT_NE(list.find("Up "), std::string::npos) << list;

  // The classifier answers the Custom Vision REST call.
  httplib::Client http("127.0.0.1", rest_port_);
  http.set_read_timeout(10, 0);
  std::string banana = ce::read_file(shared_dir() + "/datasets/grocery-store/" + items_[0].first);
  auto res = http.Post("/image", banana, "application/octet-stream");
  for (int i = 0; i < 50 && !res; ++i) {
    std::this_thread::sleep_for(100ms);
    res = http.Post("/image", banana, "application/octet-stream");
  }
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  auto body = json::parse(res->body);
  EXPECT_EQ(body["predictions"][0]["tagName"], "banana");
  EXPECT_TRUE(body["predictions"][0].contains("tagId"));
  EXPECT_GE(body["predictions"][0]["probability"].get<double>(),
            body["predictions"][1]["probability"].get<double>());
  auto bad = http.Post("/image", "not an image", "application/octet-stream");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);

  // Wait for the scenario: 3 s lead-in + 4 x 2.4 s.
  std::string journal = (state_ / "data/checkout/journal.db").string();
  std::vector<ce::BasketLine> lines;
  bool crashed = false;
  for (int i = 0; i < 300; ++i) {
    std::this_thread::sleep_for(100ms);
    if (fs::exists(journal)) lines = ce::testing_support::journal_lines(journal);
    if (!crashed && lines.size() == 1) {
      // kill -9 the checkout while the first item is still on the scale: the
      // restarted checkout must keep the line and not announce it again.
      kill(module_state("checkout")["pid"].get<pid_t>(), SIGKILL);
      crashed = true;
    }
    if (lines.size() >= items_.size()) break;
  }
  EXPECT_TRUE(crashed);
  EXPECT_EQ(module_state("checkout")["restarts"], 1);
  ASSERT_EQ(lines.size(), items_.size()) << ce::read_file(state_ / "logs/checkout.log");
  struct Expected {
    std::string name;
    long long grams, price;
  };
  std::vector<Expected> expected{{"Banana", 420, 126},             // 2.99/kg x 0.420
                                 {"Granny Smith apple", 182, 82},  // 4.49/kg x 0.182 = 81.7
                                 {"Lemon", 118, 47},               // 3.99/kg x 0.118 = 47.08
                                 {"Pomegranate", 310, 199}};       // 1.99 each
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].name, expected[i].name);
    EXPECT_EQ(lines[i].grams, expected[i].grams);
    EXPECT_EQ(lines[i].price_minor, expected[i].price);
  }

  // Each announcement became a WAV with real sound in it.
  std::vector<fs::path> wavs;
  for (int i = 0; i < 50 && wavs.size() < items_.size(); ++i) {
    std::this_thread::sleep_for(100ms);
    wavs.clear();
    if (fs::exists(state_ / "wav"))
      for (auto& e : fs::directory_iterator(state_ / "wav")) wavs.push_back(e.path());
  }
  ASSERT_EQ(wavs.size(), items_.size());
  for (auto& w : wavs) {
    WavInfo info = read_wav(w.string());
    EXPECT_EQ(info.sample_rate, 16000) << w;
    EXPECT_GT(info.samples, 16000u) << w << " is shorter than a second";
    EXPECT_GT(info.rms, 300.0) << w << " is silent";
  }

  // Killing a module's process: the runtime restarts it, and `list` says so.
  json camera = module_state("camera");
  pid_t old_pid = camera["pid"];
  ASSERT_GT(old_pid, 0);
  kill(old_pid, SIGKILL);
  bool restarted = false;
  for (int i = 0; i < 100 && !restarted; ++i) {
    std::this_thread::sleep_for(100ms);
    json m = module_state("camera");
    restarted = m["status"] == "running" && m["pid"] != old_pid && m["restarts"] == 1;
  }
  EXPECT_TRUE(restarted) << module_state("camera").dump();
  std::string json_list = cli("list --output json", &status);
  auto rows = json::parse(json_list);
  bool listed = false;
  for (auto& r : rows)
    if (r["name"] == "camera") listed = r["status"] == "running" && r["restarts"] == 1;
  EXPECT_TRUE(listed) << json_list;

  std::string logs = cli("logs checkout --tail 2", &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(logs.find("Pomegranate"), std::string::npos) << logs;

  // Live changes reach the real modules without a restart.
  pid_t checkout_pid = module_state("checkout")["pid"];
  cli("twin checkout --set threshold=0.95", &status);
  EXPECT_EQ(status, 0);
  EXPECT_TRUE(ce::testing_support::eventually([&] {
    json t = json::parse(cli("twin checkout"), nullptr, false);
    return !t.is_discarded() && t["reported"]["threshold"] == 0.95;
  }));
  EXPECT_EQ(module_state("checkout")["pid"], checkout_pid);
  // The scale reads its settings at start: a change restarts it to apply them.
  pid_t scale_pid = module_state("scale")["pid"];
  cli("twin scale --set hz=8", &status);
  EXPECT_TRUE(ce::testing_support::eventually([&] {
    json t = json::parse(cli("twin scale"), nullptr, false);
    return !t.is_discarded() && t["reported"]["hz"] == 8.0;
  }));
  EXPECT_NE(module_state("scale")["pid"], scale_pid);
  json reply = json::parse(cli("call classifier reloadModel --timeout 30", &status));
  EXPECT_EQ(reply["status"], 200) << reply;
  EXPECT_EQ(reply["payload"]["modelVersion"], "imagenet-squeezenet-1.1");
  reply = json::parse(cli("call speech say '{\"text\": \"Testing the speaker.\"}'", &status));
  EXPECT_EQ(reply["status"], 202) << reply;
  EXPECT_TRUE(ce::testing_support::eventually([&] {
    return ce::read_file(state_ / "logs/speech.log").find("Testing the speaker.") !=
           std::string::npos;
  }));

  // SIGTERM stops everything cleanly.
  EXPECT_EQ(runtime_->stop(), 0);
  for (auto& m : agent_state()["modules"]) {
    EXPECT_EQ(m["status"], "stopped") << m;
    EXPECT_EQ(m["pid"], 0);
    EXPECT_EQ(m["exitCode"], 0) << m;  // every module stopped cleanly on SIGTERM
    EXPECT_EQ(m["exitSignal"], 0) << m;
  }
  cli("list", &status);
  EXPECT_EQ(status, 1);  // not running any more
}

}  // namespace
