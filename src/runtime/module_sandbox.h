// What a module's process may touch, enforced by the kernel (Linux Landlock,
// 5.13+): IoT Edge keeps modules apart in containers, and a module the
// native runtime starts must be kept apart as well. A confined module
//   - reads the machine but not the lane's state folder: not admin.key, the
//     hub's logins, staff's files or another module's data;
//   - writes only its own data folder (STATE/data/<module>), the temporary
//     folders, the devices, and the paths its settings and env name;
//   - cannot read another process's memory or environment (/proc/PID/environ)
//     nor signal a process outside its own sandbox.
// A module whose settings name the state folder itself (the web module's
// stateDir) reads its public parts: logs and status/ (agent.json); the web
// module also its key (console.key, never admin.key) and, to enroll and
// retrain, the folders holding the packages the classifiers serve. The
// classifier and the web module share STATE/learning-exports (what the lane
// learnt, exported for a retraining).
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "runtime/manifest.h"
#include "runtime/state_dir.h"

namespace ce {

// The kernel's Landlock ABI version; 0 when it has none (or it is disabled).
int landlock_abi();

// Why modules run unconfined on this machine, or "" when they can be confined.
std::string why_modules_are_not_confined();

// `inner` is `outer` or lies beneath it (compared as written: pass
// canonical paths where links matter).
bool within(const std::filesystem::path& inner, const std::filesystem::path& outer);

// The absolute paths a module's settings (its desired properties) and env
// name: what its sandbox lets it write besides its data folder.
std::set<std::filesystem::path> paths_named_by(const ModuleSpec& module);

class ModuleSandbox {
 public:
  // Built in the runtime before fork(): the paths are opened and the rules
  // made here. Throws saying why when the kernel refuses. `lane`: every
  // module of the deployment (the staff console writes beside the packages
  // the classifiers serve).
  ModuleSandbox(const ModuleSpec& module, const StateDir& state,
                const std::vector<const ModuleSpec*>& lane = {});
  ~ModuleSandbox();
  ModuleSandbox(const ModuleSandbox&) = delete;
  ModuleSandbox& operator=(const ModuleSandbox&) = delete;

  // In the child, between fork() and exec(): async-signal-safe. False when
  // the kernel refused (the child must then not run the module).
  bool enter() const;

 private:
  void allow(const std::filesystem::path& path, unsigned long long access);
  // `path` and beneath, except the branches that lead to the state folder
  // and to /dev.
  void allow_except_state(const std::filesystem::path& path, unsigned long long access);
  void allow_beneath(const std::filesystem::path& canonical, unsigned long long access);

  std::filesystem::path state_;
  unsigned long long handled_ = 0;
  int ruleset_fd_ = -1;
};

}  // namespace ce
