#include "training/classify_dataset.h"

#include <algorithm>
#include <atomic>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <thread>

namespace ce {

int evaluation_workers() {
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
}

EvaluationInput classify_dataset(const Model& model, const Dataset& data,
                                 std::vector<std::string>& skipped,
                                 const std::function<void(size_t, size_t)>& progress) {
  EvaluationInput in;
  in.tags = model.labels();
  in.coarse_of_tag = data.coarse_of_tag;
  in.coarse_names = data.coarse_names;
  const size_t n = data.samples.size();
  std::vector<std::vector<float>> rows(n);
  std::vector<char> readable(n, 0);
  std::atomic<size_t> next = 0, done = 0;
  // A photo per core: decoding is half the work, and OpenCV's own threads
  // inside one small network leave a core idle.
  const int previous_threads = cv::getNumThreads();
  cv::setNumThreads(1);
  auto work = [&](bool reports) {
    for (size_t i; (i = next++) < n;) {
      cv::Mat img = cv::imread(data.samples[i].path, cv::IMREAD_COLOR);
      if (!img.empty()) {
        rows[i].assign(in.tags.size(), 0.f);
        for (auto& p : model.classify(img)) rows[i][p.tag_id] = p.probability;
        readable[i] = 1;
      }
      size_t finished = ++done;
      if (reports && progress) progress(finished, n);
    }
  };
  std::vector<std::thread> workers;
  for (int w = 1; w < evaluation_workers(); ++w) workers.emplace_back(work, false);
  work(true);
  for (auto& t : workers) t.join();
  cv::setNumThreads(previous_threads);
  for (size_t i = 0; i < n; ++i) {
    if (!readable[i]) {
      skipped.push_back(data.samples[i].path + ": not a readable image");
      continue;
    }
    in.probabilities.push_back(std::move(rows[i]));
    in.truth.push_back(data.samples[i].tag);
    in.paths.push_back(data.samples[i].path);
  }
  if (progress) progress(n, n);
  return in;
}

}  // namespace ce
