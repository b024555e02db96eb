#include "runtime/supervisor.h"

#include <gtest/gtest.h>

#include <thread>

using namespace std::chrono_literals;

namespace {

ce::ModuleSpec spec(const std::string& name, ce::RestartPolicy policy) {
  ce::ModuleSpec s;
  s.name = name;
  s.restart_policy = policy;
  return s;
}

ce::RuntimeSettings fast() {
  ce::RuntimeSettings rt;
  rt.backoff_base = 50ms;
  rt.backoff_cap = 200ms;
  rt.max_restarts = 3;
  return rt;
}

// Ticks until `done` or two seconds pass.
template <typename F>
bool tick_until(ce::Supervisor& s, F done) {
  for (int i = 0; i < 200; ++i) {
    s.tick();
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

ce::StateDir state() { return {testing::TempDir() + "/supervisor"}; }

}  // namespace

TEST(Supervisor, AlwaysRestartsAModuleThatExitsCleanly) {
  ce::Supervisor s(state(), fast(), {});
  s.add(spec("clean", ce::RestartPolicy::Always), {"/bin/sh", "-c", "exit 0"});
  EXPECT_TRUE(tick_until(s, [&] { return s.find("clean")->restarts >= 2; }));
}

TEST(Supervisor, OnFailureRestartsOnlyAfterAFailure) {
  ce::Supervisor s(state(), fast(), {});
  s.add(spec("ok", ce::RestartPolicy::OnFailure), {"/bin/sh", "-c", "exit 0"});
  s.add(spec("bad", ce::RestartPolicy::OnFailure), {"/bin/sh", "-c", "exit 3"});
  EXPECT_TRUE(tick_until(s, [&] { return s.find("bad")->restarts >= 1; }));
  EXPECT_TRUE(tick_until(s, [&] { return s.find("ok")->status == ce::ModuleStatus::Stopped; }));
  EXPECT_EQ(s.find("ok")->restarts, 0);
}

TEST(Supervisor, NeverLeavesAFailedModuleFailed) {
  ce::Supervisor s(state(), fast(), {});
  s.add(spec("once", ce::RestartPolicy::Never), {"/bin/sh", "-c", "exit 2"});
  ASSERT_TRUE(tick_until(s, [&] { return s.find("once")->status == ce::ModuleStatus::Failed; }));
  std::this_thread::sleep_for(300ms);
  s.tick();
  EXPECT_EQ(s.find("once")->restarts, 0);
  EXPECT_EQ(s.find("once")->exit_code, 2);
}

TEST(Supervisor, GivesUpAfterMaxRestartsAndBacksOff) {
  ce::Supervisor s(state(), fast(), {});
  auto t0 = std::chrono::steady_clock::now();
  s.add(spec("crash", ce::RestartPolicy::Always), {"/bin/sh", "-c", "kill -9 $$"});
  ASSERT_TRUE(tick_until(s, [&] { return s.find("crash")->status == ce::ModuleStatus::Failed; }));
  // 50 + 100 + 200 ms of backoff at least before the third restart failed.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 350ms);
  EXPECT_EQ(s.find("crash")->restarts, 3);
  EXPECT_EQ(s.find("crash")->exit_signal, 9);
}

TEST(Supervisor, AModuleThatWasUpComesBackAtOnceOnlyACrashLoopWaits) {
  ce::RuntimeSettings rt = fast();
  rt.backoff_base = 2s;  // a wait this long would show
  rt.backoff_cap = 2s;
  rt.healthy_after = 200ms;
  ce::Supervisor s(state(), rt, {});
  s.add(spec("killed", ce::RestartPolicy::Always), {"/bin/sh", "-c", "sleep 0.3; kill -9 $$"});
  long long first_pid = s.find("killed")->pid;
  ASSERT_TRUE(tick_until(s, [&] {
    const ce::ModuleProcess* m = s.find("killed");
    return m->status == ce::ModuleStatus::Running && m->pid != first_pid;
  }));
  const ce::ModuleProcess* m = s.find("killed");
  EXPECT_LT(m->started_ms - m->exited_ms, 100) << "up 300 ms, healthy: restarted at once";
  s.stop_all();
}

TEST(Supervisor, StopAllEndsRunningModules) {
  ce::Supervisor s(state(), fast(), {});
  s.add(spec("sleeper", ce::RestartPolicy::Always), {"/bin/sleep", "30"});
  ASSERT_EQ(s.find("sleeper")->status, ce::ModuleStatus::Running);
  s.stop_all(2s);
  EXPECT_EQ(s.find("sleeper")->status, ce::ModuleStatus::Stopped);
  EXPECT_EQ(s.find("sleeper")->pid, 0);
}

TEST(Supervisor, DescribesModulesLikeIotEdgeList) {
  long long now = 1'000'000'000;
  EXPECT_EQ(ce::describe_module({{"status", "running"}, {"startedMs", now - 125'000}}, now),
            "Up 2 minutes");
  EXPECT_EQ(
      ce::describe_module({{"status", "failed"}, {"exitCode", 1}, {"exitedMs", now - 5'000}}, now),
      "Failed (exit 1) 5 seconds ago");
  EXPECT_EQ(ce::describe_module(
                {{"status", "backoff"}, {"restarts", 2}, {"nextStartMs", now + 40'000}}, now),
            "Backoff, restart 3 in 40 s");
}
