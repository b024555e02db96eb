// The deployment manifest, in Azure IoT Edge's shape:
//   modulesContent.$edgeAgent["properties.desired"].modules.<name>   what runs
//   modulesContent.$edgeHub["properties.desired"].routes              who hears whom
//   modulesContent.<name>["properties.desired"]                       module settings
// Modules here are native processes ("type": "process").
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/container.h"
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
  std::optional<ContainerSpec> container;  // "type": "docker"
  nlohmann::json desired = nlohmann::json::object();
  nlohmann::json definition;  // the manifest's entry, to tell what changed
  // The lane's own broker, started as a module is but not a module: it is
  // not confined (runtime/module_sandbox.h).
  bool lane_service = false;
};

struct RuntimeSettings {
  int hub_port = 0;                               // 0: any free loopback port
  std::chrono::milliseconds backoff_base{10000};  // IoT Edge: min(10 s x 2^n, 300 s)
  std::chrono::milliseconds backoff_cap{300000};
  std::chrono::milliseconds healthy_after{60000};  // resets the restart count
  int max_restarts = 10;                           // then the module is failed
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds heartbeat_timeout{10000};  // on-unhealthy restarts after this silence
  // `deploy` rolls back unless each changed module runs and heartbeats for
  // deploy_stable within deploy_timeout.
  std::chrono::milliseconds deploy_timeout{60000};
  std::chrono::milliseconds deploy_stable{5000};
  long long log_max_bytes = 10 * 1024 * 1024;
  int log_files = 3;
  std::string container_engine = "podman";  // for "type": "docker" modules
  // Each process module confined by the kernel (runtime/module_sandbox.h);
  // off only for a machine where Landlock breaks a module.
  bool isolate_modules = true;
  // TLS on the hub's listener (hubTls: {caFile, certFile, keyFile}): every
  // module, the runtime and the CLI then verify the broker with caFile.
  std::string hub_ca_file, hub_cert_file, hub_key_file;
};

// Where `$upstream` messages go: an MQTT broker off the lane. The password
// never sits in the manifest: it is read from the environment variable
// named by passwordEnv.
struct UpstreamSettings {
  std::string host;  // empty: no upstream; messages wait on disk
  int port = 1883;
  std::string client_id;  // the lane's identity upstream (default: the host's name)
  std::string store;      // the store it belongs to
  // Each message goes to <topic>/<module>/<output>; default lanes/<store>/<clientId>.
  std::string topic;
  std::string username;
  std::string password_env;
  bool tls = false;
  std::string ca_file, cert_file, key_file;
  long long time_to_live_secs = 7200;
  bool operator==(const UpstreamSettings&) const = default;
};

struct Deployment {
  RuntimeSettings runtime;
  std::vector<ModuleSpec> modules;  // in startup order
  std::vector<Route> routes;
  UpstreamSettings upstream;
};

// The manifest with ${VAR}s replaced: what `deploy` sends to the runtime
// and what the runtime keeps as the last good deployment.
nlohmann::json expand_manifest(const nlohmann::json& manifest,
                               const std::map<std::string, std::string>& variables);
nlohmann::json read_manifest_file(const std::string& path,
                                  std::map<std::string, std::string> variables = {});

// Do two specs start the same process? (Desired properties aside: those
// change without a restart.)
bool same_process(const ModuleSpec& a, const ModuleSpec& b);

// What in `to` would run code that `from` does not: a program, an image or
// its options, a module's environment, or the runtime's engine, TLS or
// isolation settings. "" when `to` only changes twins, routes, upstream or
// which built-in modules run. Only the administrator's key deploys those.
std::string new_code_in(const Deployment& from, const Deployment& to);

// An expanded manifest, as the runtime keeps it: nothing in it is expanded
// again (a ${NAME} that arrives in a twin change stays as written).
Deployment parse_manifest(const nlohmann::json& manifest);
// Expands first: ${NAME} in any string is replaced from `variables`, then
// from the environment; in a module's desired properties only the variables
// in runtime.settings.twinVariables come from the environment.
Deployment parse_manifest(const nlohmann::json& manifest,
                          const std::map<std::string, std::string>& variables);
Deployment load_manifest(const std::string& path,
                         std::map<std::string, std::string> variables = {});

// The built-in modules `checkout-edge module NAME` can run.
const std::vector<std::string>& builtin_modules();

}  // namespace ce
