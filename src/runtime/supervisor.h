// Starts module processes, notices when they exit or stop heartbeating, and
// restarts them as their restartPolicy says, with exponential backoff.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "runtime/log_collector.h"
#include "runtime/manifest.h"
#include "runtime/module_sandbox.h"
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
  bool killed_unhealthy = false;  // the last exit was the runtime's doing
  int restarts = 0;               // since the module was last healthy long enough
  long long next_start_ms = 0;
  long long last_heartbeat_ms = 0;  // 0: none since the last start
  // What the running process entered. Made afresh at every start: the
  // kernel's rules name the folders there were then, and a crashed module
  // must come back able to read what its settings name now.
  std::shared_ptr<ModuleSandbox> sandbox;

  // Heartbeats came in time since the start (or the start is recent).
  bool heartbeating(long long now, std::chrono::milliseconds timeout) const;
};

class Supervisor {
 public:
  Supervisor(StateDir state, RuntimeSettings settings, std::map<std::string, std::string> env);
  ~Supervisor();

  void add(ModuleSpec spec, std::vector<std::string> command);
  // Stops the module's process and forgets it.
  void remove(const std::string& name);
  // Stops and starts the module now, whatever its state.
  bool restart(const std::string& name);
  // New settings the running process takes live: its next start (a crash)
  // makes its sandbox from them.
  void update_spec(const ModuleSpec& spec);
  void update_settings(const RuntimeSettings& settings);
  // Variables of the runtime's own environment that no module inherits
  // (the upstream password): a module gets one only if its manifest env
  // names it.
  void keep_private(std::set<std::string> names) { private_env_ = std::move(names); }
  // Variables for one module's process alone (its hub login), asked for at
  // each start.
  using ModuleEnv = std::function<std::map<std::string, std::string>(const std::string& module)>;
  void set_module_env(ModuleEnv module_env) { module_env_ = std::move(module_env); }

  // Thread-safe: called from the hub's thread when a heartbeat arrives.
  void note_heartbeat(const std::string& name);

  void tick();  // reap exits, act on silence, start what is due
  // How long tick() has nothing to do, at most `longest`: until the next
  // restart after its backoff or heartbeat deadline, and 100 ms while a
  // module starts (its first heartbeat makes it healthy). An exit is not
  // foreseen: the caller wakes for it.
  std::chrono::milliseconds nothing_due_for(std::chrono::milliseconds longest) const;
  void stop_all(std::chrono::milliseconds grace = std::chrono::seconds(5));
  nlohmann::json snapshot() const;
  const ModuleProcess* find(const std::string& name) const;
  // Whether the module's running process may read `path` (its sandbox is
  // tried in a child): a setting naming a folder it cannot read needs a
  // restart. True for a module not confined or not running.
  bool may_read(const std::string& name, const std::filesystem::path& path) const;
  const RuntimeSettings& settings() const { return settings_; }

 private:
  std::string container_name(const std::string& module) const;
  ModuleProcess* find_mutable(const std::string& name);
  void start(ModuleProcess& m);
  void stop(ModuleProcess& m, std::chrono::milliseconds grace);
  void on_exit(ModuleProcess& m, int wait_status);
  std::chrono::milliseconds backoff(int restarts) const;

  StateDir state_;
  RuntimeSettings settings_;
  std::map<std::string, std::string> env_;
  std::set<std::string> private_env_;
  ModuleEnv module_env_;
  std::vector<ModuleProcess> modules_;  // in startup order
  std::unique_ptr<LogCollector> logs_;
  mutable std::mutex heartbeat_mutex_;
  std::map<std::string, long long> heartbeats_;  // arrived since the last tick
  bool warned_unconfined_ = false;
};

// "Up 2 minutes", "Failed (exit 1) 5 seconds ago", "Backoff, restart 3 in 40 s".
std::string describe_module(const nlohmann::json& module, long long now_ms);
std::string human_duration(long long ms);

}  // namespace ce
