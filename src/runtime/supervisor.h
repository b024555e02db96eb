// Starts module processes, notices when they exit, and restarts them as
// their restartPolicy says, with exponential backoff.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/manifest.h"
#include "runtime/state_dir.h"

namespace ce {

enum class ModuleStatus { Running, Stopped, Backoff, Failed };
const char* to_string(ModuleStatus s);

struct ModuleProcess {
  ModuleSpec spec;
  std::vector<std::string> command;
  ModuleStatus status = ModuleStatus::Stopped;
  pid_t pid = 0;
  long long started_ms = 0;  // wall clock, for `list`
  long long exited_ms = 0;
  int exit_code = 0;
  int exit_signal = 0;
  int restarts = 0;  // since the module was last healthy long enough
  long long next_start_ms = 0;
};

class Supervisor {
 public:
  Supervisor(StateDir state, RuntimeSettings settings, std::map<std::string, std::string> env);
  ~Supervisor();

  void add(ModuleSpec spec, std::vector<std::string> command);
  void tick();  // reap exits, start what is due; call often
  void stop_all(std::chrono::milliseconds grace = std::chrono::seconds(5));
  nlohmann::json snapshot() const;
  const ModuleProcess* find(const std::string& name) const;

 private:
  void start(ModuleProcess& m);
  void on_exit(ModuleProcess& m, int wait_status);
  std::chrono::milliseconds backoff(int restarts) const;

  StateDir state_;
  RuntimeSettings settings_;
  std::map<std::string, std::string> env_;
  std::vector<ModuleProcess> modules_;
};

// "Up 2 minutes", "Failed (exit 1) 5 seconds ago", "Backoff, restart 3 in 40 s".
std::string describe_module(const nlohmann::json& module, long long now_ms);
std::string human_duration(long long ms);

}  // namespace ce
