// One line on the terminal that redraws itself: what is happening, how far,
// and the time left. Without a terminal it prints a line per call to done().
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace ce {

class ProgressBar {
 public:
  explicit ProgressBar(std::string what)
      : what_(std::move(what)),
        started_(std::chrono::steady_clock::now()),
        tty_(isatty(STDERR_FILENO)) {}

  // `share` of the work done, 0..1; `detail` is shown after the bar.
  void show(double share, const std::string& detail) {
    if (!tty_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200) && share < 1) return;
    last_ = now;
    const int width = 24;
    int filled = static_cast<int>(share * width);
    std::string bar(filled, '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%s [%s] %3d%% %s, %s left   ", what_.c_str(), bar.c_str(),
                 static_cast<int>(100 * share), detail.c_str(), left(share).c_str());
    std::fflush(stderr);
  }
  // A finished step: its own line, kept.
  void done(const std::string& line) {
    std::fprintf(stderr, "%s%s\n", tty_ ? "\r\033[K" : "", line.c_str());
  }

 private:
  std::string left(double share) const {
    if (share <= 0.01) return "?";
    double spent =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    int s = static_cast<int>(spent / share - spent);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%dm%02ds", s / 60, s % 60);
    return buf;
  }
  std::string what_;
  std::chrono::steady_clock::time_point started_, last_;
  bool tty_;
};

}  // namespace ce
