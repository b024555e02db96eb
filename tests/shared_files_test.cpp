// The shared files from their origins: `checkout-edge assets` against a
// local server standing in for them (a copy of some shared files, one
// damaged and one cut short), with no ../shared and an empty cache.
#include <gtest/gtest.h>

#include <fstream>

#include "common/checksum.h"
#include "file_mirror.h"
#include "test_support.h"

using namespace ce::testing_support;

namespace {

// The entries of the project's list for these shared paths, as a list of its own.
json manifest_of(const std::vector<std::string>& paths) {
  json all = json::parse(ce::read_file(fs::path(CE_SOURCE_DIR) / "assets/shared-files.json"));
  json out = all;
  out["files"] = json::array();
  for (auto& f : all["files"])
    if (std::find(paths.begin(), paths.end(), f["path"]) != paths.end()) out["files"].push_back(f);
  return out;
}

}  // namespace

// The list names every file ../shared holds for the demo, the training and
// the tests, at the size it has there; `demo --help` says what the demo needs.
TEST(SharedFiles, TheListMatchesTheSharedFolder) {
  json all = json::parse(ce::read_file(fs::path(CE_SOURCE_DIR) / "assets/shared-files.json"));
  int status = -1;
  std::string out =
      run(std::string(CE_BINARY) + " assets check --for all --shared " + shared_dir() + " 2>&1",
          &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("all " + std::to_string(all["files"].size()) + " shared files everything"),
            std::string::npos)
      << out;
  size_t demo = 0;
  for (auto& f : all["files"]) {
    demo += std::find(f["uses"].begin(), f["uses"].end(), "demo") != f["uses"].end();
    EXPECT_TRUE(f.contains("origin") || f.contains("madeFrom")) << f;
  }
  out = run(std::string(CE_BINARY) + " demo --help", &status);
  EXPECT_NE(out.find("It needs " + std::to_string(demo) + " shared files"), std::string::npos)
      << out;
  EXPECT_NE(out.find("builds checkout-edge and its training program (about"), std::string::npos)
      << out;
}

TEST(SharedFiles, FetchedFromAMirrorCheckedResumedAndRefusedByName) {
  fs::path dir = fs::path(testing::TempDir()) / ("shared-files-" + std::to_string(getpid()));
  fs::remove_all(dir);
  const std::string good = "datasets/grocery-store/val/Fruit/Banana/Banana_001.jpg",
                    other = "datasets/grocery-store/val/Fruit/Lemon/Lemon_001.jpg",
                    resumed = "models/imagenet-mobilenets-tflite/imagenet_labels.txt",
                    damaged = "datasets/grocery-store/val/Fruit/Kiwi/Kiwi_001.jpg",
                    cut = "datasets/grocery-store/val/Fruit/Lime/Lime_001.jpg",
                    absent = "datasets/grocery-store/val/Fruit/Mango/Mango_001.jpg",
                    made = "models/imagenet-squeezenet/SqueezeNet_fp32.onnx";
  json list = manifest_of({good, other, resumed, damaged, cut, absent, made});
  ASSERT_EQ(list["files"].size(), 7u) << "the project's list lacks one of the test's files";
  fs::create_directories(dir);
  std::ofstream(dir / "list.json") << list.dump();
  // The mirror: good copies, a damaged one (a byte changed), one cut short, one missing.
  fs::path mirror = dir / "mirror";
  for (const auto& p : {good, other, resumed, damaged, cut}) {
    fs::create_directories((mirror / p).parent_path());
    fs::copy_file(fs::path(shared_dir()) / p, mirror / p);
  }
  std::string bytes = ce::read_file(mirror / damaged);
  bytes[bytes.size() / 2] ^= 0x20;
  std::ofstream(mirror / damaged, std::ios::binary | std::ios::trunc) << bytes;
  fs::resize_file(mirror / cut, fs::file_size(mirror / cut) / 2);
  // Half of one file came before the connection was cut.
  fs::path cache = dir / "cache";
  std::string labels = ce::read_file(fs::path(shared_dir()) / resumed);
  fs::create_directories((cache / "shared" / resumed).parent_path());
  std::ofstream(cache / "shared" / (resumed + ".part"), std::ios::binary)
      << labels.substr(0, labels.size() / 2);

  std::string cli = "CHECKOUT_EDGE_CACHE=" + cache.string() + " " + CE_BINARY + " assets ";
  std::string common = " --for all --manifest " + (dir / "list.json").string() + " --shared " +
                       (dir / "nowhere").string();
  int status = -1;
  // Offline: every missing file named, with where it comes from and where to put it.
  std::string out = run(cli + "check" + common + " 2>&1", &status);
  EXPECT_EQ(status, 1) << out;
  for (const auto& p : {good, damaged, absent, made})
    EXPECT_NE(out.find(p), std::string::npos) << p << "\n" << out;
  EXPECT_NE(out.find("https://raw.githubusercontent.com/marcusklasson/GroceryStoreDataset/"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(cache.string() + "/shared"), std::string::npos) << out;
  EXPECT_NE(out.find(made + "\t"), std::string::npos) << out;
  EXPECT_NE(out.find("made from SqueezeNet_fp16.onnx"), std::string::npos) << out;
  EXPECT_NE(out.find("CHECKOUT_EDGE_SHARED"), std::string::npos) << out;
  out = run(cli + "fetch" + common + " --mirror http://127.0.0.1:9 2>&1", &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("not fetched from http://127.0.0.1:9/" + good), std::string::npos) << out;

  FileMirror server(mirror.string());
  out = run(cli + "fetch" + common + " --mirror " + server.url() + " 2>&1", &status);
  EXPECT_EQ(status, 1) << out;  // three of the seven cannot be had
  for (const auto& p : {good, other, resumed})
    EXPECT_EQ(ce::sha256_of_file((cache / "shared" / p).string()),
              ce::sha256_of_file(fs::path(shared_dir()) / p))
        << p << "\n"
        << out;
  // The cut download went on from where it stopped.
  bool ranged = false;
  for (const auto& h : server.heard())
    ranged |= h.rfind("/" + resumed + " bytes=" + std::to_string(labels.size() / 2) + "-", 0) == 0;
  EXPECT_TRUE(ranged) << json(server.heard()).dump(1);
  // Damaged and cut short: refused by name, and nothing of them kept.
  for (const auto& p : {damaged, cut}) {
    EXPECT_NE(out.find(p + " from " + server.url() + "/" + p + " is refused"), std::string::npos)
        << p << "\n"
        << out;
    EXPECT_FALSE(fs::exists(cache / "shared" / p));
    EXPECT_FALSE(fs::exists(cache / "shared" / (p + ".part")));
  }
  EXPECT_NE(out.find(absent + ": not fetched from " + server.url()), std::string::npos) << out;
  EXPECT_NE(out.find(made + ": not fetched from " + server.url()), std::string::npos) << out;
  EXPECT_NE(out.find("3 fetched"), std::string::npos) << out;

  // What is in the cache counts; the rest is still named.
  out = run(cli + "check" + common + " 2>&1", &status);
  EXPECT_EQ(status, 1);
  EXPECT_EQ(out.find(good), std::string::npos) << out;
  EXPECT_NE(out.find(cut), std::string::npos) << out;
}
