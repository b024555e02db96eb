// Helpers for tests that run the real `checkout-edge` program.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "runtime/state_dir.h"

namespace ce::testing_support {

namespace fs = std::filesystem;
using nlohmann::json;

inline std::string shared_dir() {
  const char* e = std::getenv("CHECKOUT_EDGE_SHARED");
  return e && *e ? e : CE_DEFAULT_SHARED;
}

// A built-in module's entry in a manifest's $edgeAgent.modules.
inline json builtin_module(const std::string& module, int startup_order) {
  return {{"type", "process"}, {"status", "running"},           {"restartPolicy", "always"},
          {"version", "1.0"},  {"startupOrder", startup_order}, {"settings", {{"module", module}}}};
}

// Runs a shell command; returns its stdout, and its exit code in `status`.
inline std::string run(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int st = pclose(p);
  if (status) *status = WEXITSTATUS(st);
  return out;
}

// Polls `done` every 50 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// `checkout-edge run --manifest M` in its own state folder, as a user starts it.
class Runtime {
 public:
  Runtime(fs::path state, fs::path manifest, std::map<std::string, std::string> env = {})
      : state_(std::move(state)), manifest_(std::move(manifest)), env_(std::move(env)) {}
  ~Runtime() { stop(); }

  void start() {
    pid_ = fork();
    if (pid_ == 0) {
      for (auto& [k, v] : env_) setenv(k.c_str(), v.c_str(), 1);
      std::string log =
          (state_.parent_path() / (state_.filename().string() + "-runtime.log")).string();
      if (!freopen(log.c_str(), "a", stderr)) _exit(126);
      // The state folder after the subcommand, as people type it.
      execl(CE_BINARY, CE_BINARY, "run", "--manifest", manifest_.c_str(), "--state-dir",
            state_.c_str(), "--shared", shared_dir().c_str(), nullptr);
      _exit(127);
    }
  }
  // Waits until agent.json shows this runtime running.
  bool started() {
    return eventually([&] { return agent().value("pid", 0) == pid_; });
  }
  int stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int st = 0;
    waitpid(pid_, &st, 0);
    pid_ = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }

  // The runtime process has not exited (nor been reaped).
  bool alive() const {
    if (pid_ <= 0) return false;
    int st = 0;
    return waitpid(pid_, &st, WNOHANG) == 0;
  }

  json agent() const {
    try {
      return json::parse(ce::read_file(state_ / "agent.json"));
    } catch (...) {
      return json::object();
    }
  }
  json module(const std::string& name) const {
    auto a = agent();
    if (a.contains("modules"))
      for (auto& m : a["modules"])
        if (m["name"] == name) return m;
    return json::object();
  }
  std::string cli(const std::string& args, int* status = nullptr) const {
    std::string env;
    for (auto& [k, v] : env_) env += k + "='" + v + "' ";
    return run(
        env + CE_BINARY + std::string(" --state-dir ") + state_.string() + " " + args + " 2>&1",
        status);
  }
  const fs::path& state() const { return state_; }
  // Waits until `module`'s log contains `text`; `log` gets the log as last read.
  bool logged(const std::string& module, const std::string& text, std::chrono::milliseconds within,
              std::string* log = nullptr) const {
    std::string last;
    bool found = eventually(
        [&] {
          last = cli("logs " + module);
          return last.find(text) != std::string::npos;
        },
        within);
    if (log) *log = last;
    return found;
  }

 private:
  fs::path state_, manifest_;
  std::map<std::string, std::string> env_;
  pid_t pid_ = -1;
};

// How many times `what` occurs in `text` (a sentence in a module's log).
inline size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A module's reported twin properties; empty while it has reported none.
inline json reported_by(Runtime& runtime, const std::string& module) {
  json twin = json::parse(runtime.cli("twin " + module), nullptr, false);
  return twin.is_object() && twin["reported"].is_object() ? twin["reported"] : json::object();
}

}  // namespace ce::testing_support
