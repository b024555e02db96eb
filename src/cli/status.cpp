// `list` and `logs`: read what the runtime keeps in its state folder, so
// they work from any shell while `run` is up.
#include <signal.h>

#include <deque>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "checkout-edge/module.h"
#include "cli/commands.h"
#include "common/stop_signal.h"
#include "runtime/supervisor.h"

namespace ce {

static std::optional<nlohmann::json> read_agent(const StateDir& state) {
  try {
    return nlohmann::json::parse(read_file(state.agent_file()));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

int list_command(const StateDir& state, bool as_json) {
  auto agent = read_agent(state);
  bool alive = agent && agent->value("running", false) && agent->value("pid", 0) > 0 &&
               kill(agent->value("pid", 0), 0) == 0;
  if (!alive) {
    std::cerr << "checkout-edge is not running with state folder " << state.root.string()
              << ".\nStart it with: checkout-edge run --manifest config/deployment.json"
                 " (or checkout-edge demo), or pass the --state-dir it runs with.\n";
    return 1;
  }
  long long now = now_ms();
  if (as_json) {
    nlohmann::json out = nlohmann::json::array();
    for (auto& m : (*agent)["modules"])
      out.push_back({{"name", m["name"]},
                     {"status", m["status"]},
                     {"description", describe_module(m, now)},
                     {"version", m["version"]},
                     {"pid", m["pid"]},
                     {"restarts", m["restarts"]}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << std::left << std::setw(14) << "NAME" << std::setw(10) << "STATUS" << std::setw(40)
            << "DESCRIPTION"
            << "VERSION\n";
  for (auto& m : (*agent)["modules"])
    std::cout << std::setw(14) << m.value("name", "") << std::setw(10) << m.value("status", "")
              << std::setw(40) << describe_module(m, now) << m.value("version", "") << "\n";
  return 0;
}

int logs_command(const StateDir& state, const std::string& module, int tail, bool follow) {
  auto path = state.log_file(module);
  std::ifstream in(path);
  if (!in) {
    std::cerr << "no logs for module '" << module << "' in " << path.parent_path().string()
              << "; `checkout-edge list` shows the module names\n";
    return 1;
  }
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (tail >= 0 && static_cast<int>(last.size()) > tail) last.pop_front();
  }
  for (auto& l : last) std::cout << l << "\n";
  std::cout.flush();
  if (!follow) return 0;
  in.clear();
  while (!wait_for_stop(std::chrono::milliseconds(200))) {
    while (std::getline(in, line)) std::cout << line << "\n";
    std::cout.flush();
    in.clear();
  }
  return 0;
}

}  // namespace ce
