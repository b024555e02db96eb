// The deployment manifest, in Azure IoT Edge's shape:
//   modulesContent.$edgeAgent["properties.desired"].modules.<name>   what runs
//   modulesContent.$edgeHub["properties.desired"].routes              who hears whom
//   modulesContent.<name>["properties.desired"]                       module settings
// Modules here are native processes ("type": "process").
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/routes.h"

namespace ce {

// Says where in the manifest the problem is, what was found and what was expected.
struct ManifestError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class RestartPolicy { Never, OnFailure, OnUnhealthy, Always };
const char* to_string(RestartPolicy p);

struct ModuleSpec {
  std::string name;
  std::string version;
  bool running = true;  // desired status
  RestartPolicy restart_policy = RestartPolicy::Always;
  int startup_order = 0;
  std::map<std::string, std::string> env;
  // What to launch: a built-in module ("module": "camera") or any program.
  std::vector<std::string> command;  // empty: built-in `builtin`
  std::string builtin;
  nlohmann::json desired = nlohmann::json::object();
};

struct RuntimeSettings {
  int hub_port = 0;  // 0: any free loopback port
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::milliseconds backoff_cap{300000};
  std::chrono::milliseconds healthy_after{60000};  // resets the restart count
  int max_restarts = 10;                           // then the module is failed
};

struct Deployment {
  RuntimeSettings runtime;
  std::vector<ModuleSpec> modules;  // in startup order
  std::vector<Route> routes;
};

// ${NAME} in any string is replaced from `variables`, then from the environment.
Deployment parse_manifest(const nlohmann::json& manifest,
                          const std::map<std::string, std::string>& variables = {});
Deployment load_manifest(const std::string& path,
                         std::map<std::string, std::string> variables = {});

// The built-in modules `checkout-edge module NAME` can run.
const std::vector<std::string>& builtin_modules();

}  // namespace ce
