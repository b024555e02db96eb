// Who may talk on the lane's hub, in Azure IoT Edge's model of module
// identities: at every start the runtime makes a fresh password for each
// module and for itself; staff's CLI logs in with the admin key (admin.key,
// readable only by the lane's user). Mosquitto checks the passwords
// (password_file, PBKDF2-SHA512 as mosquitto_passwd writes them) and what
// each may publish and read (acl_file): a module publishes only the outputs
// the manifest's routes take from it (all of its own when a route's FROM
// names any output of it), its reported twin, heartbeat and method replies,
// and reads only its own inputs, desired twin and methods. Anonymous clients
// are refused.
// Modules and staff log in on separate listeners, each with its own files:
// a module's connection carries its login as its client id, so it cannot
// take over (and so drop) another client's connection by naming its id.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "hub/hub_client.h"
#include "runtime/routes.h"
#include "runtime/state_dir.h"

namespace ce {

class HubIdentities {
 public:
  // Not module names (those cannot start with '_').
  static constexpr const char* kRuntime = "_runtime";
  static constexpr const char* kAdmin = "_admin";
  static constexpr const char* kConsole = "_console";

  HubIdentities(StateDir state, std::string admin_key, std::string console_key);
  const HubLogin& runtime() const { return runtime_; }
  // The module's login, made on first asking. `made` says it is new: the
  // broker must re-read its files (write_files(), then SIGHUP).
  HubLogin module(const std::string& name, bool* made = nullptr);
  // What each module may publish, from the routes; true when that changed
  // (write_files(), then SIGHUP).
  bool set_routes(const std::vector<Route>& routes);
  // hub/passwd and hub/acl (the modules' listener), hub/staff-passwd and
  // hub/staff-acl (the runtime and staff), 0600, written whole then renamed
  // into place.
  void write_files() const;
  std::filesystem::path password_file() const { return state_.hub_dir() / "passwd"; }
  std::filesystem::path acl_file() const { return state_.hub_dir() / "acl"; }
  std::filesystem::path staff_password_file() const { return state_.hub_dir() / "staff-passwd"; }
  std::filesystem::path staff_acl_file() const { return state_.hub_dir() / "staff-acl"; }

 private:
  StateDir state_;
  HubLogin runtime_, admin_, console_;
  std::map<std::string, HubLogin> modules_;
  // module -> outputs ("#": any of its own); "*" -> any module, any output.
  std::map<std::string, std::set<std::string>> outputs_;
};

// The login staff's commands use: the admin key of the runtime running on
// `state`, else (inside the web module's sandbox) the console's. Throws
// saying who may read it when the caller may read neither.
HubLogin admin_login(const StateDir& state);
// The key that signs staff's requests, chosen as admin_login() chooses.
std::string staff_signing_key(const StateDir& state);

// "$7$101$salt$hash", as mosquitto_passwd writes a password (for tests).
std::string mosquitto_password_hash(const std::string& password);

}  // namespace ce
