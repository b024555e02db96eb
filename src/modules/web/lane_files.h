// What the console reads from the runtime's state folder, as staff at the
// lane's shell would: a module's log, what `list` shows (the module's
// sandbox gives it logs/ and status/, nothing else of the folder).
// Read-only; module names are checked, so no request reaches another file.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace ce {

class LaneFiles {
 public:
  explicit LaneFiles(std::filesystem::path state_dir) : root_(std::move(state_dir)) {}
  bool available() const { return !root_.empty(); }

  // {"module", "lines": [...]}: the log's last `lines` lines. Throws
  // std::invalid_argument for a name that is not a module's.
  nlohmann::json log_tail(const std::string& module, size_t lines) const;
  // From agent.json (what `list` reads): {"upstream": queued, delivered,
  // expired...; "hub": routed, unrouted; "problems": {module: {what, fix}}}.
  nlohmann::json runtime_status() const;

 private:
  std::filesystem::path root_;
};

}  // namespace ce
