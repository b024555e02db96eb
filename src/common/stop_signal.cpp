#include "common/stop_signal.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <thread>

namespace ce {

static std::atomic<bool> stopped{false};
static pthread_t main_thread;
static std::atomic<bool> signals_blocked{false};
static std::atomic<bool> ever_waited{false};

// SIGUSR1 is the wake-up: blocked like the stop signals and sent to main()'s
// thread alone, so it stays pending until that thread waits, and waking
// costs an idle loop nothing (no polling).
static sigset_t waited_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  return set;
}

extern "C" void note_signal(int signal) {
  if (signal == SIGUSR1) return;
  if (!ever_waited) {
    // A command that never waits for the signal stops the way it always did.
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  stopped = true;  // lock-free: safe in a handler; the waiter sees it within 50 ms
}

void block_stop_signals() {
  sigset_t set = waited_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A library may start threads before main() (OpenBLAS's pool does, at
  // load), and those block nothing: the kernel hands a process's SIGTERM to
  // one of them whenever main() is not waiting, where the default action
  // killed a module outright, mid-work. A handler there notes the stop.
  struct sigaction noted {};
  noted.sa_handler = note_signal;
  sigemptyset(&noted.sa_mask);
  noted.sa_flags = SA_RESTART;
  for (int s : {SIGINT, SIGTERM, SIGUSR1}) sigaction(s, &noted, nullptr);
  signal(SIGPIPE, SIG_IGN);
  main_thread = pthread_self();
  signals_blocked = true;
}

void wake_waiting() {
  if (signals_blocked) pthread_kill(main_thread, SIGUSR1);
}

bool wait_for_stop(std::chrono::milliseconds timeout) {
  ever_waited = true;
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
