// Product codes through the real processes: the camera's frames read by
// the barcodes module (its reader in a process of its own), the checkout
// deciding by code first, speech saying it; and `checkout-edge barcode` on
// the shared photos, including those that make zxing-cpp 1.4.0 abort.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <regex>
#include <sstream>

#include "journal_reader.h"
#include "lane_support.h"

using namespace ce::testing_support;
using namespace std::chrono_literals;

namespace {

const char* kOatMilkCatalogue = R"({"currency": "USD", "products": [
    {"id": "4011", "name": "Banana", "tags": ["banana"], "pricePerKg": 299},
    {"id": "oat-1", "name": "Oat milk", "tags": ["carton"], "gtin": "4006381333931",
     "unitPrice": 199}]})";

bool has_event(const fs::path& journal, const std::string& kind) {
  for (const auto& e : ce::Journal(journal.string()).events())
    if (e.value("kind", "") == kind) return true;
  return false;
}

fs::path scratch(const std::string& name) {
  fs::path dir = fs::path(testing::TempDir()) / ("codes-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A lane whose camera sees a package with the EAN-13 of `digits` (and its
// check digit), which the image alone would ask about. Its scale is empty
// until the test places the package (place_when_up).
LaneSpec package_lane(const std::string& name, const std::string& digits) {
  LaneSpec spec;
  spec.name = name;
  spec.steps = json::array({{600000, 0}});
  spec.photo = photo_with_code(scratch(name), digits);
  spec.catalogue = kOatMilkCatalogue;
  spec.threshold = 0.999;
  spec.checkout = {{"codeWaitMs", 300}};
  spec.barcodes = true;
  return spec;
}

}  // namespace

TEST(BarcodeLane, APackagesCodeRingsItUpWithNoQuestion) {
  LaneSpec spec = package_lane("code", "400638133393");
  spec.speech = true;
  spec.model = {{"embeddingOutput", "pool10_1"}};  // the lane learns from what it decides
  fs::path dir = write_lane(spec);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  ASSERT_TRUE(place_when_up(runtime, 420, true)) << runtime.cli("twin barcodes");
  std::string log;
  ASSERT_TRUE(runtime.logged("speech", "Oat milk, 1 dollar 99.", 40s, &log))
      << log << runtime.cli("logs barcodes --tail 20") << runtime.cli("logs checkout --tail 20");
  // A short tone confirms the read before the words, and is heard whole.
  size_t tone = log.find("speech: (read tone)");
  ASSERT_NE(tone, std::string::npos) << log;
  EXPECT_LT(tone, log.find("Oat milk, 1 dollar 99.")) << log;
  EXPECT_EQ(log.find("(interrupted)"), std::string::npos) << log;
  fs::path journal = runtime.state() / "data/checkout/journal.db";
  auto lines = journal_lines(journal);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].product_id, "oat-1");
  EXPECT_EQ(lines[0].decided_by, "code");
  EXPECT_EQ(lines[0].price_minor, 199);
  EXPECT_FALSE(has_event(journal, "question")) << "a code read is never asked about";
  EXPECT_TRUE(runtime.logged("barcodes", "EAN-13 4006381333931", 1s));
  // What the code decided is a confirmed example for the lane's learning.
  EXPECT_TRUE(runtime.logged("classifier", "learnt carton from scene", 20s, &log))
      << log << runtime.cli("logs checkout --tail 10");
  EXPECT_NE(log.find("(code, example"), std::string::npos) << log;
  // It stops when told to, its reader with it.
  EXPECT_EQ(runtime.stop(), 0);
  std::string runtime_log = ce::read_file(dir / "state-runtime.log");
  EXPECT_EQ(runtime_log.find("ignored SIGTERM"), std::string::npos) << runtime_log;
}

TEST(BarcodeLane, ASlowCameraReadsTheCodeAsSoonAsTheWeightSettles) {
  // A camera that looks once every 10 s (a frugal lane): its gate would see
  // the item still only on its next look. The scale knows sooner, so the
  // checkout asks for a frame when the weight settles and the camera takes
  // it at once; that frame's code decides the line and is learnt from.
  LaneSpec spec = package_lane("slow-camera", "400638133393");
  spec.camera = {{"fps", 0.1}};
  spec.model = {{"embeddingOutput", "pool10_1"}};
  fs::path dir = write_lane(spec);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  ASSERT_TRUE(place_when_up(runtime, 420, true)) << runtime.cli("twin barcodes");
  fs::path journal = runtime.state() / "data/checkout/journal.db";
  ASSERT_TRUE(eventually([&] { return fs::exists(journal) && has_event(journal, "code"); }, 40s))
      << runtime.cli("logs checkout --tail 20") << runtime.cli("logs camera --tail 20");
  for (const auto& e : ce::Journal(journal.string()).events()) {
    if (e["kind"] != "code") continue;
    long long stable = e["detail"].value("stableMs", 0LL);
    ASSERT_GT(stable, 0) << e.dump();
    EXPECT_LT(e["ms"].get<long long>() - stable, 3000)
        << "decided by the camera's next look, not by a frame taken when the weight settled: "
        << e.dump();
  }
  auto lines = journal_lines(journal);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].decided_by, "code");
  EXPECT_FALSE(has_event(journal, "question"));
  // That frame started the item's still scene: what its code decided is learnt.
  std::string log;
  EXPECT_TRUE(runtime.logged("classifier", "learnt carton from scene", 20s, &log))
      << log << runtime.cli("logs checkout --tail 10") << runtime.cli("logs barcodes --tail 10");
}

TEST(BarcodeLane, ACodeTheCatalogueDoesNotKnowIsSaidAndNotCharged) {
  LaneSpec spec = package_lane("unknown-code", "500021300283");
  fs::path dir = write_lane(spec);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  ASSERT_TRUE(place_when_up(runtime, 420, true)) << runtime.cli("twin barcodes");
  std::string log;
  ASSERT_TRUE(runtime.logged("checkout", "This item is not in the catalogue. Please ask for help.",
                             40s, &log))
      << log << runtime.cli("logs barcodes --tail 20");
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(journal_lines(runtime.state() / "data/checkout/journal.db").empty());
  EXPECT_EQ(log.find("Is it"), std::string::npos) << log;
}

TEST(BarcodeLane, APackageWhoseCodeIsNotInSightIsTurnedOnceThenAskedAbout) {
  // The image is unsure it is the (packaged) product and the camera sees no code.
  LaneSpec spec;
  spec.name = "turn";
  spec.catalogue = R"({"currency": "USD", "products": [
    {"id": "chips", "name": "Banana chips", "tags": ["banana"], "unitPrice": 349,
     "packaged": true}]})";
  spec.threshold = 0.999;
  spec.checkout = {{"codeWaitMs", 300}, {"turnPackageMs", 1500}};
  spec.barcodes = spec.speech = true;
  fs::path dir = write_lane(spec);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  std::string log;
  ASSERT_TRUE(runtime.logged("speech", "Is it 1 Banana chips?", 40s, &log))
      << log << runtime.cli("logs checkout --tail 20");
  const std::string turn = "Turn the package slowly so the camera can see its barcode.";
  size_t at = log.find(turn);
  ASSERT_NE(at, std::string::npos) << log;
  EXPECT_LT(at, log.find("Is it 1 Banana chips?")) << "turned before the question";
  EXPECT_EQ(log.find(turn, at + 1), std::string::npos) << "said once";
}

TEST(BarcodeCommand, PrintsEachCodeAndSurvivesThePhotosThatAbortTheLibrary) {
  std::string root = shared_dir() + "/datasets/barcodes/";
  int status = -1;
  // rss14-2/13.png makes zxing-cpp 1.4.0 abort (its own assertion): the
  // command goes on, reads it carefully, and reads the photos after it.
  std::string out =
      run(std::string(CE_BINARY) + " barcode " + root + "rss14-2 2>/dev/null", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find(root + "rss14-2/13.png\tDataBar\t02001234567893\n"), std::string::npos) << out;
  EXPECT_NE(out.find(root + "rss14-2/9.png\tDataBar\t02001234567893\n"), std::string::npos) << out;
  std::istringstream lines(out);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count)
    EXPECT_TRUE(std::regex_match(line, std::regex(".*\\.png\tDataBar\t[0-9]{14}"))) << line;
  EXPECT_GE(count, 10);
  // Photos with no code print nothing.
  out = run(std::string(CE_BINARY) + " barcode " + root + "falsepositives-2 2>&1", &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(out, "");
  out = run(std::string(CE_BINARY) + " barcode " + root + "rssexpanded-1/14.png", &status);
  EXPECT_EQ(out,
            root + "rssexpanded-1/14.png\tDataBar Expanded\t(01)90012345678908(3932)0401234\n");
  // A code read is charged with no question, so a misread must not pass:
  // upce-2/14.png (04963406) reads as another valid UPC-E on two rows.
  out = run(std::string(CE_BINARY) + " barcode " + root + "upce-2 2>/dev/null", &status);
  EXPECT_EQ(status, 0);
  std::istringstream upce(out);
  int right = 0;
  for (std::string line; std::getline(upce, line);) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, std::regex("(.*)\\.png\tUPC-E\t([0-9]{8})"))) << line;
    EXPECT_EQ(m[2].str(), ce::read_file(m[1].str() + ".txt").substr(0, 8)) << "misread: " << line;
    right += m[2].str() == ce::read_file(m[1].str() + ".txt").substr(0, 8);
  }
  EXPECT_GE(right, 34) << "the issue's bar (zxing-cpp alone reads 34 of 41 at 0 degrees)";
  // A file that is not there, or not an image: said, and the exit code says so.
  out =
      run(std::string(CE_BINARY) + " barcode /nonexistent.png " + root + "README.md 2>&1", &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("/nonexistent.png: no such file"), std::string::npos) << out;
  EXPECT_NE(out.find("README.md: not an image"), std::string::npos) << out;
}

TEST(ScannerLane, HandheldScansThroughASerialPortAndAKeyboardWedgeRingUpProducts) {
  // A serial scanner (a pty stands in for /dev/ttyACM0) set to send "S:"
  // before each code, and a keyboard wedge (a FIFO carrying what
  // /dev/input/event* would); nothing on the scale.
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);  // the lane must not hold it
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  std::string serial = ptsname(master);
  LaneSpec spec;
  spec.name = "scanner";
  spec.steps = json::array({{600000, 0}});
  spec.catalogue = kOatMilkCatalogue;
  spec.speech = spec.keypad = true;
  fs::path fifo = scratch("wedge") / "wedge";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  spec.scanners = {{"scanner", {{"device", serial}, {"prefix", "S:"}}},
                   {"wedge", {{"device", fifo.string()}, {"interface", "keyboard"}}}};
  fs::path dir = write_lane(spec);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  ASSERT_TRUE(runtime.logged("scanner", "reading " + serial, 20s));

  // A line without the prefix is not a scan; one with it is.
  std::string stray = "4006381333931\r\n", scan = "S:4006381333931\r\n";
  ASSERT_EQ(write(master, stray.data(), stray.size()), static_cast<ssize_t>(stray.size()));
  std::string log;
  EXPECT_TRUE(runtime.logged("scanner", "does not start with the prefix \"S:\"", 20s, &log)) << log;
  ASSERT_EQ(write(master, scan.data(), scan.size()), static_cast<ssize_t>(scan.size()));
  ASSERT_TRUE(runtime.logged("speech", "Oat milk, 1 dollar 99.", 20s, &log))
      << log << runtime.cli("logs scanner") << runtime.cli("logs checkout --tail 10");
  auto lines = journal_lines(runtime.state() / "data/checkout/journal.db");
  ASSERT_EQ(lines.size(), 1u) << "the stray line charged nothing";
  EXPECT_EQ(lines[0].decided_by, "code");

  // The wedge types a banana sticker's DataBar (PLU 4011): sold by weight,
  // so the shopper is asked to put it on the scale.
  Keypad wedge(fifo);
  ASSERT_TRUE(wedge.open_ok());
  for (char c : std::string("00000000040112")) wedge.press(c == '0' ? KEY_0 : KEY_1 + (c - '1'));
  wedge.press(KEY_ENTER);
  EXPECT_TRUE(runtime.logged("speech", "Banana. Please place it on the scale.", 20s, &log))
      << log << runtime.cli("logs wedge");

  // Unplugged: reported, and said in the module's log. (Stopped at the end,
  // the scanner and the keypad-like wedge stop when told to.)
  close(master);
  EXPECT_TRUE(runtime.logged("scanner", "waiting for it", 20s, &log)) << log;
  EXPECT_TRUE(eventually(
      [&] { return reported_by(runtime, "scanner").value("connected", true) == false; }, 10s))
      << runtime.cli("twin scanner");
  EXPECT_EQ(runtime.stop(), 0);
  std::string runtime_log = ce::read_file(dir / "state-runtime.log");
  EXPECT_EQ(runtime_log.find("ignored SIGTERM"), std::string::npos) << runtime_log;
}
