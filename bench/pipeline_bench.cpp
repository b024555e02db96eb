// Times the per-item work of a lane outside the hub: decode + classify a
// photo, and synthesise the announcement. Prints p50/p99 and throughput.
//   build/bench/bench_pipeline [SHARED_DIR] [N] [PACKAGE]
// With PACKAGE, that model package (the one a lane serves, e.g. what
// bench/train_grocery.sh wrote) and SqueezeNet classify each photo in turn,
// on 2 threads, so their ratio holds on a noisy machine.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "modules/classifier/model.h"
#include "modules/speech/voice.h"

using Clock = std::chrono::steady_clock;

static void report(const char* what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, size_t(p * ms.size()))]; };
  double sum = 0;
  for (double m : ms) sum += m;
  std::printf("%-38s n=%4zu  p50 %7.2f ms  p99 %7.2f ms  mean %7.2f ms  %7.1f /s\n", what,
              ms.size(), pct(0.5), pct(0.99), sum / ms.size(), 1000.0 * ms.size() / sum);
}

int main(int argc, char** argv) {
  std::string shared = argc > 1 ? argv[1] : CE_DEFAULT_SHARED;
  int n = argc > 2 ? std::atoi(argv[2]) : 200;
  std::string package = argc > 3 ? argv[3] : "";
  if (!package.empty()) cv::setNumThreads(2);
  auto squeezenet =
      ce::Model::load({{"file", shared + "/models/imagenet-squeezenet/SqueezeNet_fp32.onnx"},
                       {"labels", shared + "/models/imagenet-squeezenet/Labels.txt"},
                       {"inputWidth", 224},
                       {"mean", {104, 117, 123}}});
  auto model = package.empty() ? std::move(squeezenet) : ce::Model::load({{"package", package}});
  std::vector<std::string> jpegs;
  std::ifstream list(shared + "/datasets/grocery-store/val.txt");
  std::string line;
  while ((int)jpegs.size() < n && std::getline(list, line)) {
    std::ifstream f(shared + "/datasets/grocery-store/" + line.substr(0, line.find(',')),
                    std::ios::binary);
    jpegs.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  std::vector<double> decode_classify, classify_only, beside;
  for (auto& j : jpegs) {
    auto t0 = Clock::now();
    cv::Mat img = cv::imdecode(std::vector<unsigned char>(j.begin(), j.end()), cv::IMREAD_COLOR);
    auto t1 = Clock::now();
    model.classify(img);
    auto t2 = Clock::now();
    decode_classify.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
    classify_only.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    if (!package.empty()) {
      auto t3 = Clock::now();
      squeezenet.classify(img);
      beside.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t3).count());
    }
  }
  report(package.empty() ? "classify (SqueezeNet 224, OpenCV)" : "classify (the package)",
         classify_only);
  report("decode JPEG + classify", decode_classify);
  if (!package.empty()) {
    report("classify (SqueezeNet 224, same photos)", beside);
    std::sort(classify_only.begin(), classify_only.end());
    std::sort(beside.begin(), beside.end());
    std::printf("engine: %s\npackage p50 / SqueezeNet p50: %.2f\n",
                model.describe()["engine"].get<std::string>().c_str(),
                classify_only[classify_only.size() / 2] / beside[beside.size() / 2]);
  }

  auto tts = ce::open_voice("flite:kal16");
  std::vector<double> synth;
  for (int i = 0; i < 50; ++i) {
    std::string text = "Banana, 0." + std::to_string(100 + i) + " kilograms, 1 dollar " +
                       std::to_string(10 + i) + ".";
    auto t0 = Clock::now();
    auto pcm = tts->synthesize(text);
    synth.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  report("speak a line (Flite kal16, uncached)", synth);
}
