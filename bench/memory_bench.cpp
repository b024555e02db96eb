// The lane's memory at its size limit: how long a lookup takes (the
// projection of a new photo's embedding and its nearest neighbours), and
// how long a memory that full takes to open at the classifier's start.
//   build/bench/bench_memory [EXAMPLES] [EMBEDDING_SIZE]   (20000, 2304: the default package's)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "modules/classifier/exemplar_memory.h"

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

static double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

int main(int argc, char** argv) {
  size_t examples = argc > 1 ? std::stoul(argv[1]) : 20000;
  size_t dim = argc > 2 ? std::stoul(argv[2]) : 2304;
  fs::path dir = fs::temp_directory_path() / ("bench-memory-" + std::to_string(getpid()));
  fs::remove_all(dir);
  std::mt19937 rng(1);
  std::normal_distribution<float> n(0, 1);
  // Pooled ReLU features of 400 products, each photo near its product's.
  std::vector<std::vector<float>> products(400, std::vector<float>(dim));
  for (auto& p : products)
    for (auto& x : p) x = std::max(0.f, n(rng));
  auto photo = [&](size_t product) {
    std::vector<float> v = products[product % products.size()];
    for (auto& x : v) x = std::max(0.f, x + 0.3f * n(rng));
    return v;
  };
  ce::MemoryLimits limits;
  limits.max_examples = examples;
  limits.max_per_tag = examples;
  auto t0 = clock_type::now();
  {
    ce::ExemplarMemory m(dir, "bench", dim, limits);
    for (size_t i = 0; i < examples; ++i) {
      ce::Example e;
      e.tag = "product-" + std::to_string(i % products.size());
      e.scene = "s" + std::to_string(i);
      e.vector = m.project(photo(i));
      m.add(std::move(e));
    }
  }
  double filled_s = ms_since(t0) / 1000;
  auto open0 = clock_type::now();
  { ce::ExemplarMemory empty(dir / "empty", "bench", dim, limits); }
  double open_empty_ms = ms_since(open0);
  auto open1 = clock_type::now();
  ce::ExemplarMemory m(dir, "bench", dim, limits);
  double open_full_ms = ms_since(open1);

  std::vector<double> lookups;
  size_t right = 0;
  for (int q = 0; q < 1000; ++q) {
    auto raw = photo(static_cast<size_t>(q));
    auto t = clock_type::now();
    auto near = m.nearest(m.project(raw), 5);
    lookups.push_back(ms_since(t));
    right += m.examples()[near.front().index].tag == "product-" + std::to_string(q % 400);
  }
  std::sort(lookups.begin(), lookups.end());
  std::printf("memory of %zu examples (%zu-value embeddings, kept as %zu): %.1f MB on disk\n",
              m.size(), dim, m.dimension(), fs::file_size(dir / "memory.log") / 1e6);
  std::printf("lookup (projection + 5 nearest): p50 %.2f ms, p95 %.2f ms, max %.2f ms\n",
              lookups[500], lookups[950], lookups.back());
  std::printf("nearest is the right product: %zu of 1000\n", right);
  std::printf("open at start: full %.0f ms, empty %.0f ms (%.0f ms extra)\n", open_full_ms,
              open_empty_ms, open_full_ms - open_empty_ms);
  std::printf("filling it, one synced record an example: %.1f s\n", filled_s);
  fs::remove_all(dir);
  return 0;
}
