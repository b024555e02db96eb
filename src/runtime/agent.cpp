#include "runtime/agent.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "common/stop_signal.h"
#include "hub/hub_client.h"
#include "hub/topics.h"
#include "runtime/broker.h"
#include "runtime/router.h"
#include "runtime/supervisor.h"

namespace ce {

std::string self_executable() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

namespace {

// One runtime per state folder: a second one would fight over the modules.
int take_lock(const StateDir& state) {
  int fd = open(state.lock_file().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0)
    throw std::runtime_error("another checkout-edge runtime is already running with state folder " +
                             state.root.string() +
                             "; stop it first, or pass a different --state-dir");
  return fd;
}

void write_state(const StateDir& state, const AgentOptions& options, int hub_port,
                 const Supervisor& supervisor, const Router* router, bool running) {
  nlohmann::json j{{"pid", running ? getpid() : 0},
                   {"running", running},
                   {"updatedMs", now_ms()},
                   {"hubPort", hub_port},
                   {"manifest", options.manifest_source},
                   {"modules", supervisor.snapshot()}};
  if (router) j["hub"] = {{"routed", router->routed()}, {"unrouted", router->unrouted()}};
  write_file_atomically(state.agent_file(), j.dump(2));
}

}  // namespace

int run_agent(const Deployment& deployment, const AgentOptions& options) {
  const StateDir& state = options.state;
  std::filesystem::create_directories(state.root);
  int lock_fd = take_lock(state);

  int port = deployment.runtime.hub_port ? deployment.runtime.hub_port : find_free_loopback_port();
  if (deployment.runtime.hub_port && port_accepts_connections(port))
    throw std::runtime_error("hub port " + std::to_string(port) +
                             " is already in use; choose another runtime.settings.hubPort or 0");

  std::map<std::string, std::string> env{{"CE_HUB_HOST", "127.0.0.1"},
                                         {"CE_HUB_PORT", std::to_string(port)},
                                         {"CE_RUNTIME_STARTED_MS", std::to_string(now_ms())}};
  Supervisor supervisor(state, deployment.runtime, env);

  ModuleSpec hub_spec;
  hub_spec.name = "edgeHub";
  hub_spec.version = "mosquitto";
  hub_spec.restart_policy = RestartPolicy::Always;
  supervisor.add(hub_spec, prepare_broker(state, port));
  for (int i = 0; i < 100 && !port_accepts_connections(port); ++i) {
    supervisor.tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!port_accepts_connections(port))
    throw std::runtime_error("the broker did not start on port " + std::to_string(port) + "; see " +
                             state.log_file("edgeHub").string());

  HubClient hub("$edgeAgent", "127.0.0.1", port);
  hub.connect();
  Router router(hub, deployment.routes);

  // Desired properties are retained, so a module gets them whenever it
  // (re)connects, without asking.
  for (auto& m : deployment.modules)
    hub.publish(topics::desired(m.name), Message::with_json(m.desired), 1, true);

  for (auto& m : deployment.modules) {
    std::vector<std::string> command =
        m.command.empty() ? std::vector<std::string>{options.self_exe, "module", m.builtin}
                          : m.command;
    supervisor.add(m, command);
  }
  write_state(state, options, port, supervisor, &router, true);
  std::cerr << "runtime: hub on 127.0.0.1:" << port << ", " << deployment.modules.size()
            << " modules, " << deployment.routes.size() << " routes; state in " << state.root
            << "\n";
  if (options.on_ready) options.on_ready(port);

  // agent.json is rewritten when a module changes state, and every few
  // seconds for the hub's counters; `list` derives "Up 3 minutes" itself.
  std::string last_modules = supervisor.snapshot().dump();
  long long last_write = now_ms();
  while (!wait_for_stop(std::chrono::milliseconds(100))) {
    supervisor.tick();
    std::string modules = supervisor.snapshot().dump();
    if (modules != last_modules || now_ms() - last_write >= 5000) {
      write_state(state, options, port, supervisor, &router, true);
      last_modules = std::move(modules);
      last_write = now_ms();
    }
  }
  std::cerr << "runtime: stopping modules\n";
  supervisor.stop_all();
  write_state(state, options, port, supervisor, nullptr, false);
  close(lock_fd);
  return 0;
}

}  // namespace ce
