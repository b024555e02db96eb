// Reaching a running runtime from another shell: its agent.json says
// where its hub listens.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "checkout-edge/module.h"
#include "hub/hub_client.h"
#include "runtime/state_dir.h"

namespace ce {

// agent.json, if a runtime is alive with this state folder.
std::optional<nlohmann::json> running_agent(const StateDir& state);
std::string not_running_message(const StateDir& state);

// Throws with not_running_message() when no runtime runs there.
std::unique_ptr<HubClient> connect_to_runtime(const StateDir& state);

// Calls a method and prints the reply as `az iot hub invoke-module-method`
// does: {"status": ..., "payload": ...}. Returns 0 for a 2xx status.
int call_and_print(const StateDir& state, const std::string& module, const std::string& method,
                   const nlohmann::json& payload, std::chrono::milliseconds timeout,
                   const std::string& admin_key = "");

}  // namespace ce
