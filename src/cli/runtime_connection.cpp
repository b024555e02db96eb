#include "cli/runtime_connection.h"

#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "hub/method_call.h"
#include "runtime/hub_identities.h"

namespace ce {

std::optional<nlohmann::json> running_agent(const StateDir& state) {
  try {
    auto agent = nlohmann::json::parse(read_file(state.agent_file()));
    int pid = agent.value("pid", 0);
    if (agent.value("running", false) && pid > 0 && kill(pid, 0) == 0) return agent;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::string not_running_message(const StateDir& state) {
  return "checkout-edge is not running with state folder " + state.root.string() +
         ".\nStart it with: checkout-edge run --manifest config/deployment.json"
         " (or checkout-edge demo), or pass the --state-dir it runs with.";
}

std::unique_ptr<HubClient> connect_to_runtime(const StateDir& state) {
  auto agent = running_agent(state);
  if (!agent) throw std::runtime_error(not_running_message(state));
  auto hub = std::make_unique<HubClient>(
      "cli-" + std::to_string(getpid()) + "-" + new_message_id().substr(0, 8), "127.0.0.1",
      agent->value("hubPort", 0), admin_login(state));
  hub->connect(std::chrono::seconds(3));
  return hub;
}

int call_and_print(const StateDir& state, const std::string& module, const std::string& method,
                   const nlohmann::json& payload, std::chrono::milliseconds timeout,
                   const std::string& admin_key) {
  auto hub = connect_to_runtime(state);
  MethodResult r = call_method(*hub, "cli-" + std::to_string(getpid()), module, method, payload,
                               timeout, admin_key);
  std::cout << nlohmann::json{{"status", r.status}, {"payload", r.payload}}.dump(2) << "\n";
  return r.status >= 200 && r.status < 300 ? 0 : 1;
}

}  // namespace ce
