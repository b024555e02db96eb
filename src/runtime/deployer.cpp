#include "runtime/deployer.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "hub/topics.h"
#include "runtime/module_sandbox.h"

namespace ce {

nlohmann::json DeploymentChanges::to_json() const {
  return {{"added", added},     {"removed", removed},     {"restarted", restarted},
          {"updated", updated}, {"unchanged", unchanged}, {"warnings", warnings}};
}

std::vector<std::string> DeploymentChanges::started() const {
  std::vector<std::string> out = added;
  out.insert(out.end(), restarted.begin(), restarted.end());
  return out;
}

Deployer::Deployer(Supervisor& supervisor, HubClient& hub, Router& router,
                   UpstreamForwarder& upstream, std::string self_exe)
    : supervisor_(supervisor),
      hub_(hub),
      router_(router),
      upstream_(upstream),
      self_exe_(std::move(self_exe)) {}

std::vector<std::string> Deployer::command_of(const ModuleSpec& m) const {
  return m.command.empty() ? std::vector<std::string>{self_exe_, "module", m.builtin} : m.command;
}

void Deployer::publish_desired(const ModuleSpec& m) {
  hub_.publish(topics::desired(m.name), Message::with_json(m.desired), 1, true);
}

// A confined module may write only the paths its settings named when it
// started: settings that name a new one take a restart, unless it lies in a
// folder it was given, or beside one (a package's next iteration) where its
// running process can read it. Whether it can is tried, not foreseen: the
// kernel's rules name the folders there were when it started, and a folder
// made since beside the state folder's is not among them.
bool Deployer::needs_new_sandbox(const ModuleSpec& old, const ModuleSpec& now,
                                 const RuntimeSettings& runtime) const {
  if (!runtime.isolate_modules || now.container || old.desired == now.desired) return false;
  auto before = paths_named_by(old);
  auto covered = [&](const std::filesystem::path& p) {
    for (const auto& given : before) {
      if (given != "/" && within(p, given)) return true;
      if (given.parent_path() != "/" && within(p, given.parent_path()) &&
          supervisor_.may_read(now.name, p))
        return true;
    }
    return false;
  };
  for (const auto& p : paths_named_by(now))
    if (!covered(p)) return true;
  return false;
}

DeploymentChanges Deployer::apply(const Deployment& from, const Deployment& to) {
  DeploymentChanges changes;
  auto find = [](const Deployment& d, const std::string& name) -> const ModuleSpec* {
    for (auto& m : d.modules)
      if (m.name == name) return &m;
    return nullptr;
  };
  // Stop removed modules first: a renamed module must not run twice.
  for (auto& old : from.modules) {
    if (find(to, old.name)) continue;
    supervisor_.remove(old.name);
    // An empty retained message deletes the retained twin on the broker.
    hub_.publish(topics::desired(old.name), Message{}, 1, true);
    hub_.publish(topics::reported(old.name), Message{}, 1, true);
    changes.removed.push_back(old.name);
  }
  supervisor_.update_settings(to.runtime);
  std::set<std::string> secrets;
  if (!to.upstream.password_env.empty()) secrets.insert(to.upstream.password_env);
  supervisor_.keep_private(std::move(secrets));
  router_.set_routes(to.routes);
  if (on_routes) on_routes(to.routes);
  upstream_.configure(to.upstream);
  if (to.runtime.hub_port != from.runtime.hub_port)
    changes.warnings.push_back(
        "runtime.settings.hubPort changed: it applies when the runtime restarts");
  for (auto& m : to.modules) {
    const ModuleSpec* old = find(from, m.name);
    if (!old) {
      publish_desired(m);
      supervisor_.add(m, command_of(m));
      changes.added.push_back(m.name);
    } else if (!same_process(*old, m) || needs_new_sandbox(*old, m, to.runtime)) {
      // Stopped before its new settings are out: the old process would
      // apply them where it cannot (its sandbox lacks the new folder) and
      // report a failure the new one never has.
      supervisor_.remove(m.name);
      publish_desired(m);
      supervisor_.add(m, command_of(m));
      changes.restarted.push_back(m.name);
    } else if (old->desired != m.desired) {
      supervisor_.update_spec(m);
      publish_desired(m);
      changes.updated.push_back(m.name);
    } else {
      changes.unchanged.push_back(m.name);
    }
  }
  return changes;
}

}  // namespace ce
