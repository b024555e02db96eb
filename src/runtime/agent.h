// The runtime: starts the hub (broker + router), hands each module its
// desired properties, then supervises the modules until told to stop.
#pragma once

#include <functional>
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
};

// Runs until SIGINT/SIGTERM or request_stop(). Throws on a start-up failure
// with a message that says what to do.
int run_agent(const Deployment& deployment, const AgentOptions& options);

std::string self_executable();

}  // namespace ce
