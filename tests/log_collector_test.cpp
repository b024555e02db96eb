#include "runtime/log_collector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "checkout-edge/module.h"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST(LogCollector, StampsEachLineAndRotatesAtTheCap) {
  fs::path dir = fs::path(testing::TempDir()) / ("logs-" + std::to_string(getpid()));
  fs::remove_all(dir);
  long long before = ce::now_ms();
  {
    ce::LogCollector logs(dir, {400, 3});
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    logs.add("scale", p[0]);
    for (int i = 0; i < 40; ++i) {
      std::string line = "reading " + std::to_string(i) + "\n";
      ASSERT_EQ(write(p[1], line.data(), line.size()), (ssize_t)line.size());
    }
    ASSERT_EQ(write(p[1], "no newline at the end", 21), 21);
    close(p[1]);
  }  // the destructor drains the pipe

  auto files = ce::log_files_oldest_first(dir / "scale.log");
  ASSERT_EQ(files.size(), 3u);  // .2, .1 and the current one; older ones dropped
  std::vector<std::string> all;
  for (auto& f : files) {
    EXPECT_LE(fs::file_size(f), 400u) << f;
    for (auto& l : lines_of(f)) all.push_back(l);
  }
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back().substr(25), "no newline at the end");
  EXPECT_LT(all.size(), 41u);  // the oldest rotated away
  int previous = -1;
  for (auto& l : all) {
    long long t = ce::parse_log_timestamp(l);
    EXPECT_GE(t, before - 1000) << l;
    EXPECT_LE(t, ce::now_ms()) << l;
    if (l.find("reading ") != std::string::npos) {
      int n = std::stoi(l.substr(l.find("reading ") + 8));
      EXPECT_EQ(n, previous < 0 ? n : previous + 1) << "lines out of order or missing";
      previous = n;
    }
  }
  EXPECT_EQ(previous, 39);
}

TEST(LogCollector, TimestampsRoundTrip) {
  EXPECT_EQ(ce::log_timestamp(1764064800123), "2025-11-25T10:00:00.123Z");
  EXPECT_EQ(ce::parse_log_timestamp("2025-11-25T10:00:00.123Z camera: started"), 1764064800123);
  EXPECT_EQ(ce::parse_log_timestamp("camera: started"), -1);
  EXPECT_EQ(ce::parse_log_timestamp(""), -1);
}
