#include "common/stop_signal.h"

#include <atomic>
#include <csignal>
#include <ctime>
#include <thread>

namespace ce {

static std::atomic<bool> stopped{false};

void block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool wait_for_stop(std::chrono::milliseconds timeout) {
  if (stopped) return true;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  // Wait in short slices so request_stop() from another thread is seen too.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!stopped) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds::zero()) return false;
    auto slice = std::min<std::chrono::nanoseconds>(left, std::chrono::milliseconds(50));
    timespec ts{static_cast<time_t>(slice.count() / 1000000000),
                static_cast<long>(slice.count() % 1000000000)};
    if (sigtimedwait(&set, nullptr, &ts) > 0) stopped = true;
  }
  return true;
}

bool stop_requested() { return stopped; }

void run_until_stopped(const std::function<void()>& work) {
  std::atomic<bool> done{false};
  std::thread worker([&] {
    work();
    done = true;
  });
  while (!done && !wait_for_stop(std::chrono::milliseconds(200))) {
  }
  worker.join();
}
void request_stop() { stopped = true; }

}  // namespace ce
