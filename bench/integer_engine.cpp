// The classifier's two engines for TensorFlow Lite files, in one run so
// their ratio holds on a noisy machine: each shared MobileNet through the
// integer engine (XNNPACK) and through the float reference (OpenCV DNN on
// the dequantized graph), on 1 and 2 threads, beside SqueezeNet through
// OpenCV (the old backbone the speed target is measured against).
//
//   build/bench/bench_integer_engine [SHARED] [RUNS]
//
// Prints a Markdown table: p50 and p90 of one network run on a 224 x 224
// crop of a val photo (preprocessing not counted).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "modules/classifier/network_file.h"
#include "modules/classifier/network_xnnpack.h"
#include "modules/classifier/preprocess.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Times {
  double p50 = 0, p90 = 0;
};

Times timed(int runs, const std::function<void()>& run) {
  run();  // the first run allocates
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[ms.size() * 9 / 10]};
}

std::string cell(const Times& t) {
  char s[64];
  std::snprintf(s, sizeof s, "%.1f / %.1f", t.p50, t.p90);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::string shared = argc > 1 ? argv[1] : CE_DEFAULT_SHARED;
  int runs = argc > 2 ? std::atoi(argv[2]) : 30;
  std::string models = shared + "/models/imagenet-mobilenets-tflite";
  cv::Mat photo = cv::imread(shared + "/datasets/grocery-store/val/Fruit/Banana/Banana_001.jpg");
  if (photo.empty()) {
    std::fprintf(stderr, "no photos under %s: give the shared folder\n", shared.c_str());
    return 1;
  }
  ce::Preprocessing crop_only;
  crop_only.resize = "shorter-side";
  cv::Mat bgr = ce::crop_for_network(photo, crop_only, 224, 224).clone(), rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  cv::Mat floats;
  rgb.convertTo(floats, CV_32F, 1 / 127.5, -1);
  cv::Mat blob = cv::dnn::blobFromImage(floats);

  std::printf(
      "| network | integer, 1 thread | integer, 2 threads | float (OpenCV), 1 thread | "
      "float (OpenCV), 2 threads |\n|---|---:|---:|---:|---:|\n");
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(models))
    if (e.path().extension() == ".tflite") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::string row = "| " + std::filesystem::path(file).stem().string() + " |";
    for (int threads : {1, 2}) {
      ce::IntegerNetwork net(file, threads);
      row += " " + cell(timed(runs, [&] { net.run(rgb.data); })) + " |";
    }
    for (int threads : {1, 2}) {
      cv::setNumThreads(threads);
      try {
        cv::dnn::Net net = ce::read_network(ce::prepare_network(file));
        row += " " +
               cell(timed(runs,
                          [&] {
                            net.setInput(blob);
                            net.forward();
                          })) +
               " |";
      } catch (const std::exception& e) {
        row += " cannot load |";
      }
    }
    std::printf("%s\n", row.c_str());
    std::fflush(stdout);
  }
  std::string squeezenet = shared + "/models/imagenet-squeezenet/SqueezeNet_fp32.onnx";
  std::string row = "| SqueezeNet (ONNX, OpenCV) | | |";
  cv::Mat squeeze_blob =
      cv::dnn::blobFromImage(bgr, 1.0, cv::Size(224, 224), cv::Scalar(104, 117, 123));
  for (int threads : {1, 2}) {
    cv::setNumThreads(threads);
    cv::dnn::Net net = ce::read_network(ce::prepare_network(squeezenet));
    row += " " +
           cell(timed(runs,
                      [&] {
                        net.setInput(squeeze_blob);
                        net.forward();
                      })) +
           " |";
  }
  std::printf("%s\n\n(p50 / p90 ms of %d runs each, batch 1, 224 x 224)\n", row.c_str(), runs);
}
