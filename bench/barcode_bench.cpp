// Issue 26: the lane's code reader on real photos of product codes
// (../shared/datasets/barcodes, ZXing's black-box sets), against ZBar, and
// its time on 640x480 camera frames.
//   bench_barcodes [SHARED] [CHECKOUT_EDGE]
// Prints, per set: codes read right, read wrong, and how often the reader's
// process died (zxing-cpp 1.4.0's assertion) and read the photo again; then
// the time per 640x480 frame on one core: through the lane's isolated reader
// (the worker's round trip included), and zxing-cpp alone on frames with no
// code (its slowest case: it searches every row).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "modules/barcodes/code_reader.h"
#include "modules/barcodes/isolated_reader.h"

std::vector<std::string> zbar_codes(const cv::Mat& grey);

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Digits and letters only, and DataBar's "01" application identifier (ZBar
// gives it) dropped, so that the two readers' texts compare with the file's.
std::string comparable(const std::string& s) {
  std::string out;
  for (char c : s)
    if (std::isalnum(static_cast<unsigned char>(c))) out += c;
  if (out.size() == 16 && out.compare(0, 2, "01") == 0) out = out.substr(2);
  if (out.size() == 13 && out[0] == '0') out = out.substr(1);  // UPC-A as EAN-13
  return out;
}

struct Tally {
  int right = 0, wrong = 0, photos = 0, restarts = 0;
};

void count(Tally& t, const std::vector<std::string>& codes, const std::string& expected) {
  if (codes.empty()) return;
  bool hit = std::any_of(codes.begin(), codes.end(), [&](const std::string& c) {
    return !expected.empty() && comparable(c) == comparable(expected);
  });
  hit ? ++t.right : ++t.wrong;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

// The photo scaled into a 640x480 frame (never enlarged), centred on grey,
// as a code on a package under the lane's camera.
cv::Mat as_camera_frame(const cv::Mat& grey) {
  cv::Mat frame(480, 640, CV_8UC1, cv::Scalar(128));
  double f = std::min({1.0, 640.0 / grey.cols, 480.0 / grey.rows});
  cv::Mat scaled;
  cv::resize(grey, scaled, {}, f, f, cv::INTER_AREA);
  scaled.copyTo(
      frame(cv::Rect((640 - scaled.cols) / 2, (480 - scaled.rows) / 2, scaled.cols, scaled.rows)));
  return frame;
}

}  // namespace

int main(int argc, char** argv) {
  std::string shared = argc > 1 ? argv[1] : CE_DEFAULT_SHARED;
  std::string program = argc > 2 ? argv[2] : CE_BINARY;
  fs::path root = fs::path(shared) / "datasets/barcodes";
  if (!fs::is_directory(root)) {
    std::fprintf(stderr, "no %s: give the shared folder as the first argument\n", root.c_str());
    return 2;
  }
  ce::IsolatedCodeReader reader(program);
  std::vector<double> lane_ms, empty_ms, zbar_ms;
  std::printf("%-17s %6s | %-22s | %-12s\n", "set", "photos", "lane (zxing-cpp 1.4)", "ZBar 0.23");
  for (const char* set : {"ean13-1", "ean13-3", "ean8-1", "upca-2", "upce-2", "rss14-2",
                          "rssexpanded-1", "falsepositives-2"}) {
    std::vector<fs::path> photos;
    for (const auto& e : fs::directory_iterator(root / set)) {
      auto ext = e.path().extension();
      if (ext == ".png" || ext == ".jpg" || ext == ".gif") photos.push_back(e.path());
    }
    std::sort(photos.begin(), photos.end());
    Tally lane, zbar;
    for (const auto& photo : photos) {
      cv::Mat grey = cv::imread(photo.string(), cv::IMREAD_GRAYSCALE);
      if (grey.empty()) continue;
      std::string expected;
      std::ifstream(fs::path(photo).replace_extension(".txt")) >> expected;
      ++lane.photos;
      ++zbar.photos;
      auto reading = reader.read(grey);
      lane.restarts += reading.worker_deaths;
      std::vector<std::string> texts;
      for (const auto& c : reading.codes) texts.push_back(c.text);
      count(lane, texts, expected);
      count(zbar, zbar_codes(grey), expected);

      cv::Mat frame = as_camera_frame(grey);
      auto start = Clock::now();
      reader.read(frame);
      lane_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      start = Clock::now();
      zbar_codes(frame);
      zbar_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      if (std::string(set) == "falsepositives-2") {
        start = Clock::now();
        ce::read_codes_in(frame, ce::ReadEffort::Thorough);
        empty_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      }
    }
    std::printf("%-17s %6d | %3d right %2d wrong %2d restarts | %3d right %2d wrong\n", set,
                lane.photos, lane.right, lane.wrong, lane.restarts, zbar.right, zbar.wrong);
  }
  std::printf(
      "\n640x480 frames, one thread: lane's isolated reader p50 %.2f ms, p90 %.2f ms "
      "(%zu frames); zxing-cpp alone on frames with no code p50 %.2f ms, p90 %.2f ms\n",
      percentile(lane_ms, 0.5), percentile(lane_ms, 0.9), lane_ms.size(), percentile(empty_ms, 0.5),
      percentile(empty_ms, 0.9));
  std::printf("ZBar on the same frames: p50 %.2f ms, p90 %.2f ms\n", percentile(zbar_ms, 0.5),
              percentile(zbar_ms, 0.9));
  std::printf("reader processes lost: %d\n", reader.worker_deaths());
  return 0;
}
