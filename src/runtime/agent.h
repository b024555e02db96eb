// The runtime: starts the hub (broker + router + upstream forwarder), hands
// each module its desired properties, supervises the modules, and answers
// the CLI's methods (deploy, restartModule, updateDesired, ping) until told
// to stop.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "runtime/manifest.h"
#include "runtime/state_dir.h"

namespace ce {

struct AgentOptions {
  StateDir state;
  std::string self_exe;         // what `module NAME` runs: this program
  std::string manifest_source;  // shown in agent.json
  // Called once the hub is up and every module has been started.
  std::function<void(int hub_port)> on_ready;
  // Throws saying which setting is wrong when a built-in module (camera,
  // checkout, ...) would refuse `desired`; deploy and twin changes are
  // checked with it before anything is kept.
  std::function<void(const std::string& builtin, const nlohmann::json& desired)> validate_settings;
};

// `manifest` is expanded (no ${VAR}s left): it is kept as the last good
// deployment. Runs until SIGINT/SIGTERM or request_stop(). Throws on a
// start-up failure with a message that says what to do.
int run_agent(const nlohmann::json& manifest, const AgentOptions& options);

std::string self_executable();

// The runtime's own id on the hub, for `checkout-edge call $edgeAgent ...`.
inline constexpr const char* kAgentId = "$edgeAgent";

}  // namespace ce
