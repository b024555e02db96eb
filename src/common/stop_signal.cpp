#include "common/stop_signal.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <thread>

namespace ce {

static std::atomic<bool> stopped{false};

// SIGUSR1 is the wake-up: blocked everywhere like the stop signals, so it
// stays pending until the waiting thread takes it, and waking costs an
// idle loop nothing (no polling).
static sigset_t waited_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  return set;
}

void block_stop_signals() {
  sigset_t set = waited_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

void wake_waiting() { kill(getpid(), SIGUSR1); }

bool wait_for_stop(std::chrono::milliseconds timeout) {
  if (stopped) return true;
  sigset_t set = waited_signals();
  // Wait in short slices so request_stop() from another thread is seen too.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!stopped) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds::zero()) return false;
    auto slice = std::min<std::chrono::nanoseconds>(left, std::chrono::milliseconds(50));
    timespec ts{static_cast<time_t>(slice.count() / 1000000000),
                static_cast<long>(slice.count() % 1000000000)};
    int signal = sigtimedwait(&set, nullptr, &ts);
    if (signal == SIGUSR1) return false;
    if (signal > 0) stopped = true;
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
