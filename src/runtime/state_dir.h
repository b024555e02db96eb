// Everything a running system keeps on disk, under one folder:
//   agent.json        what the runtime is doing (read by `list`): a link to
//                     status/agent.json, rewritten whole in its own folder so
//                     that a confined module may be given that folder
//                     (runtime/module_sandbox.h)
//   agent.lock        one runtime per folder
//   admin.key         signs the administrator's requests (hub/admin_auth.h)
//   console.key       signs the staff console's, which may not change code
//   logs/<module>.log each module's stdout and stderr, rotated (.1, .2, ...)
//   data/<module>/    each module's own files (e.g. the checkout journal)
//   deployment.json   the last good manifest, expanded; deployment.previous.json before it
//   hub/              the broker's config and the upstream queue
#pragma once

#include <filesystem>
#include <string>

#include "common/files.h"

namespace ce {

struct StateDir {
  std::filesystem::path root;

  // --state-dir, else $CHECKOUT_EDGE_HOME, else $HOME/.local/state/checkout-edge.
  static StateDir resolve(const std::string& flag);

  std::filesystem::path agent_file() const { return root / "agent.json"; }
  std::filesystem::path status_dir() const { return root / "status"; }
  std::filesystem::path lock_file() const { return root / "agent.lock"; }
  // The secret that signs deploy and twin changes; new at every start, 0600.
  std::filesystem::path admin_key_file() const { return root / "admin.key"; }
  // The staff console's (the web module's) login and signing key, new at
  // every start, 0600: it changes twins and deployments but never code.
  std::filesystem::path console_key_file() const { return root / "console.key"; }
  std::filesystem::path log_file(const std::string& module) const {
    return root / "logs" / (module + ".log");
  }
  std::filesystem::path data_dir(const std::string& module) const { return root / "data" / module; }
  std::filesystem::path hub_dir() const { return root / "hub"; }
  std::filesystem::path deployment_file() const { return root / "deployment.json"; }
  std::filesystem::path previous_deployment_file() const {
    return root / "deployment.previous.json";
  }
  std::filesystem::path upstream_queue_file() const { return hub_dir() / "upstream.db"; }
};

}  // namespace ce
