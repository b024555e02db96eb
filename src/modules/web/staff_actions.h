// What the staff console changes, it changes as `checkout-edge` does: over
// the hub, logged in and signing as the staff console with the key the
// runtime wrote for it (stateDir/console.key; the module's sandbox keeps
// admin.key from it). The key stays in this process; only a logged-in member
// of staff can make it sign anything, and the runtime refuses a deployment
// it signs that would run new code.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "checkout-edge/module.h"
#include "hub/hub_client.h"

namespace ce {

class StaffActions {
 public:
  // `key_file` empty (no stateDir): the console shows the lane but can change nothing.
  StaffActions(std::string key_file, std::string host, int port, std::string ca_file);
  ~StaffActions();

  bool can_change() const { return !key_file_.empty(); }
  // Each desired and reported twin, as `checkout-edge twin` shows them.
  nlohmann::json twins();
  // The runtime's answers, as the CLI gets them; 503 when the hub or the
  // key cannot be reached, saying why.
  MethodResult update_desired(const std::string& module, const nlohmann::json& patch);
  MethodResult deploy(const nlohmann::json& manifest);
  MethodResult running_deployment();
  // `checkout-edge check`, run by the runtime on the lane.
  MethodResult check();
  // A module's direct method, as `checkout-edge call` makes it.
  MethodResult call(const std::string& module, const std::string& method,
                    const nlohmann::json& payload);

 private:
  // Connects on first use (the runtime writes the key before it starts us).
  HubClient& hub();
  std::string key();

  std::string key_file_, host_, ca_file_;
  int port_;
  std::mutex connect_mutex_, mutex_;
  std::unique_ptr<HubClient> hub_;
  std::map<std::string, nlohmann::json> desired_, reported_;
  long long connected_ms_ = 0, last_twin_ms_ = 0;
};

}  // namespace ce
