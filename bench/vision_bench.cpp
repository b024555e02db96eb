// The classifier's speed on every shared model: inference latency at 1 and
// 2 threads, throughput, and the REST round trip against bare inference.
// With --prepared DIR it also writes each network as OpenCV reads it (after
// the load-time fixes), for the python3-opencv peer (bench/python_peer.py).
//   build/bench/bench_vision [--shared DIR] [--n N] [--prepared DIR]
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/core/utility.hpp>
#include <string>
#include <thread>
#include <vector>

#include "modules/classifier/model.h"
#include "modules/classifier/network_file.h"
#include "modules/classifier/rest_api.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

struct Figures {
  double p50 = 0, p99 = 0, per_second = 0;
};

Figures figures(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, size_t(p * ms.size()))]; };
  double sum = 0;
  for (double m : ms) sum += m;
  return {pct(0.5), pct(0.99), 1000.0 * ms.size() / sum};
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Bench {
  std::string name;
  json description;
};

}  // namespace

int main(int argc, char** argv) {
  std::string shared = CE_DEFAULT_SHARED, prepared;
  int n = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--shared") shared = argv[i + 1];
    if (a == "--n") n = std::atoi(argv[i + 1]);
    if (a == "--prepared") prepared = argv[i + 1];
  }
  std::vector<Bench> benches;
  for (auto& e : fs::directory_iterator(shared + "/models/custom-vision-exports"))
    benches.push_back({e.path().filename().string(), json{{"package", e.path().string()}}});
  std::sort(benches.begin(), benches.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (const char* f : {"SqueezeNet_fp32.onnx", "SqueezeNet_fp16.onnx"})
    benches.push_back({std::string("imagenet-") + f,
                       json{{"file", shared + "/models/imagenet-squeezenet/" + f},
                            {"labels", shared + "/models/imagenet-squeezenet/Labels.txt"},
                            {"resize", "shorter-side"},
                            {"mean", {104, 117, 123}}}});

  std::vector<std::string> jpegs;
  std::ifstream list(shared + "/datasets/grocery-store/val.txt");
  std::string line;
  while (static_cast<int>(jpegs.size()) < n && std::getline(list, line)) {
    std::ifstream f(shared + "/datasets/grocery-store/" + line.substr(0, line.find(',')),
                    std::ios::binary);
    jpegs.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  std::printf("%d photos from grocery-store/val, %u hardware threads\n\n", n,
              std::thread::hardware_concurrency());
  std::printf("%-34s %7s %8s %8s %8s %10s %10s %9s\n", "model", "threads", "p50 ms", "p99 ms",
              "img/s", "REST p50", "REST p99", "overhead");

  for (auto& b : benches) {
    if (!prepared.empty()) {
      fs::create_directories(prepared);
      auto file = ce::prepare_network(ce::Model::load(b.description).file());
      std::ofstream(fs::path(prepared) / (b.name + (file.format == "onnx" ? ".onnx" : ".pb")),
                    std::ios::binary)
          << file.bytes;
    }
    for (int threads : {1, 2}) {
      cv::setNumThreads(threads);
      auto model = std::make_shared<ce::Model>(ce::Model::load(b.description));
      std::vector<cv::Mat> images;
      for (auto& j : jpegs) images.push_back(model->decode(j));
      for (int w = 0; w < 5; ++w) model->classify(images[w % images.size()]);  // warm up
      std::vector<double> infer, decode_infer, rest;
      for (size_t i = 0; i < images.size(); ++i) {
        auto t0 = Clock::now();
        model->classify(images[i]);
        infer.push_back(ms_since(t0));
      }
      for (auto& j : jpegs) {
        auto t0 = Clock::now();
        model->classify(model->decode(j));
        decode_infer.push_back(ms_since(t0));
      }
      // The same decode + classify through POST /image on loopback.
      ce::ServedModel served(model);
      std::atomic<size_t> max_predictions = 10;
      httplib::Server server;
      ce::add_prediction_routes(server, served, max_predictions);
      int port = server.bind_to_any_port("127.0.0.1");
      std::thread t([&] { server.listen_after_bind(); });
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      for (auto& j : jpegs) {
        auto t0 = Clock::now();
        auto r = client.Post("/image", j, "image/jpeg");
        if (!r || r->status != 200) {
          std::fprintf(stderr, "REST call failed\n");
          return 1;
        }
        rest.push_back(ms_since(t0));
      }
      server.stop();
      t.join();
      auto fi = figures(infer), fd = figures(decode_infer), fr = figures(rest);
      std::printf("%-34s %7d %8.2f %8.2f %8.1f %10.2f %10.2f %9.2f\n", b.name.c_str(), threads,
                  fi.p50, fi.p99, fi.per_second, fr.p50, fr.p99, fr.p50 - fd.p50);
      std::fflush(stdout);
    }
  }
  std::printf(
      "\np50/p99: classify a decoded photo (preprocessing + inference). REST: POST /image with\n"
      "the JPEG on loopback, keep-alive. overhead: REST p50 minus decode + classify p50.\n");
}
