#include "common/stop_signal.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <thread>

namespace ce {

static std::atomic<bool> stopped{false};
static pthread_t main_thread;
static std::atomic<pid_t> main_thread_id{0};  // for tgkill, which a signal handler may call
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

// A plain system call, safe in a handler (pthread_kill may take a lock).
static void wake_main_thread_from_handler() {
  int saved = errno;
  if (pid_t tid = main_thread_id) syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
  errno = saved;
}

extern "C" void note_signal(int signal) {
  if (signal == SIGUSR1) return;
  if (!ever_waited) {
    // A command that never waits for the signal stops the way it always did.
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  stopped = true;  // lock-free: safe in a handler
  wake_main_thread_from_handler();
}

extern "C" void note_child_exit(int) { wake_main_thread_from_handler(); }

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
  main_thread_id = static_cast<pid_t>(syscall(SYS_gettid));
  signals_blocked = true;
}

void wake_waiting() {
  if (signals_blocked) pthread_kill(main_thread, SIGUSR1);
}

bool wakes_reach_this_thread() {
  return signals_blocked && pthread_equal(pthread_self(), main_thread);
}

void wake_waiting_when_a_child_exits() {
  struct sigaction woken {};
  woken.sa_handler = note_child_exit;
  sigemptyset(&woken.sa_mask);
  woken.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &woken, nullptr);
}

bool wait_for_stop(std::chrono::milliseconds timeout) {
  ever_waited = true;
  if (stopped) return true;
  sigset_t set = waited_signals();
  // A stop noted on another thread (request_stop(), a handler) wakes main()'s
  // thread, so an idle loop there sleeps its whole timeout. Any other
  // thread (the demo's runtime), or main() without the signals blocked (a
  // test), is not woken: it waits in short slices instead.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!stopped) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds::zero()) return false;
    auto slice = wakes_reach_this_thread()
                     ? left
                     : std::min<std::chrono::nanoseconds>(left, std::chrono::milliseconds(50));
    timespec ts{static_cast<time_t>(slice.count() / 1000000000),
                static_cast<long>(slice.count() % 1000000000)};
    int signal = sigtimedwait(&set, nullptr, &ts);
    if (signal == SIGUSR1) return stopped;
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
void request_stop() {
  stopped = true;
  wake_waiting();
}

}  // namespace ce
