// A module's loop sleeps its whole timeout while idle: what ends the sleep
// early must still reach it. Each case runs in a child process, as
// block_stop_signals() changes the whole process.
#include "common/stop_signal.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <thread>

using namespace std::chrono_literals;

namespace {

// What `body` exits with in a child of its own; 99 if it did not end in 30 s.
int in_child(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    alarm(30);
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

// 0 when `wait` returned `expected` within 3 s of a 20 s timeout.
int ended_early(const std::function<bool()>& wait, bool expected) {
  auto start = std::chrono::steady_clock::now();
  bool stopped = wait();
  if (stopped != expected) return 1;
  return std::chrono::steady_clock::now() - start < 3s ? 0 : 2;
}

// ended_early() for main()'s wait, with `act` done on another thread 100 ms in.
int ended_early_after(void (*act)(), bool expected) {
  ce::block_stop_signals();
  std::thread other([act] {
    std::this_thread::sleep_for(100ms);
    act();
  });
  int r = ended_early([] { return ce::wait_for_stop(20s); }, expected);
  other.join();
  return r;
}

}  // namespace

TEST(StopSignal, AStopRequestedOnAnotherThreadEndsMainsLongWait) {
  EXPECT_EQ(in_child([] { return ended_early_after(ce::request_stop, true); }), 0);
}

TEST(StopSignal, ATermTakenByALibrarysEarlyThreadEndsMainsLongWait) {
  // OpenBLAS starts threads before main() blocks the stop signals: the
  // kernel gives them the SIGTERM, and main() must hear of it.
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(30);
    std::thread early([] { std::this_thread::sleep_for(25s); });
    early.detach();
    ce::block_stop_signals();
    ce::wait_for_stop(0ms);  // a loop that waits: the signal is noted, not fatal
    (void)!write(ready[1], "x", 1);
    _exit(ended_early([] { return ce::wait_for_stop(20s); }, true));
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  std::this_thread::sleep_for(100ms);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  close(ready[0]);
  close(ready[1]);
}

TEST(StopSignal, AWakeEndsMainsWaitWithoutStopping) {
  EXPECT_EQ(in_child([] { return ended_early_after(ce::wake_waiting, false); }), 0);
}

TEST(StopSignal, AChildsExitWakesASupervisorsWait) {
  EXPECT_EQ(in_child([] {
              ce::block_stop_signals();
              ce::wake_waiting_when_a_child_exits();
              if (fork() == 0) {
                usleep(100000);
                _exit(0);
              }
              return ended_early([] { return ce::wait_for_stop(20s); }, false);
            }),
            0);
}

TEST(StopSignal, AWaitOnAnotherThreadSeesAStopRequest) {
  // The demo runs the runtime's loop on a thread the wake does not reach.
  EXPECT_EQ(in_child([] {
              ce::block_stop_signals();
              int r = 1;
              std::thread loop([&] {
                EXPECT_FALSE(ce::wakes_reach_this_thread());
                r = ended_early([] { return ce::wait_for_stop(20s); }, true);
              });
              std::this_thread::sleep_for(100ms);
              ce::request_stop();
              loop.join();
              return ce::wakes_reach_this_thread() ? r : 3;
            }),
            0);
}
