// Applies one deployment over another, touching only what changed: new
// modules start, removed ones stop, a module whose definition changed
// restarts, and a module whose desired properties alone changed gets them
// live, without a restart (as IoT Edge's module twins do).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hub/hub_client.h"
#include "runtime/manifest.h"
#include "runtime/router.h"
#include "runtime/supervisor.h"
#include "runtime/upstream.h"

namespace ce {

struct DeploymentChanges {
  std::vector<std::string> added, removed, restarted, updated, unchanged;
  std::vector<std::string> warnings;
  nlohmann::json to_json() const;
  // Modules that must show they are healthy before the deployment counts.
  std::vector<std::string> started() const;
};

class Deployer {
 public:
  Deployer(Supervisor& supervisor, HubClient& hub, Router& router, UpstreamForwarder& upstream,
           std::string self_exe);

  DeploymentChanges apply(const Deployment& from, const Deployment& to);
  // Retained, so the module gets them whenever it (re)connects.
  void publish_desired(const ModuleSpec& module);
  std::vector<std::string> command_of(const ModuleSpec& module) const;
  // Told each deployment's routes, before any module starts.
  std::function<void(const std::vector<Route>&)> on_routes;

 private:
  bool needs_new_sandbox(const ModuleSpec& old, const ModuleSpec& now,
                         const RuntimeSettings& runtime) const;

  Supervisor& supervisor_;
  HubClient& hub_;
  Router& router_;
  UpstreamForwarder& upstream_;
  std::string self_exe_;
};

}  // namespace ce
