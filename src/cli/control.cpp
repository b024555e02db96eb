// deploy, twin, call, restart: change a running system from another shell.
#include <unistd.h>

#include <condition_variable>
#include <iostream>

#include "cli/commands.h"
#include "cli/runtime_connection.h"
#include "hub/admin_auth.h"
#include "hub/method_call.h"
#include "hub/topics.h"
#include "runtime/agent.h"
#include "runtime/hub_identities.h"
#include "runtime/manifest.h"

namespace ce {

namespace {

std::string caller_id() { return "cli-" + std::to_string(getpid()); }

void print_names(const char* label, const nlohmann::json& names) {
  if (!names.is_array() || names.empty()) return;
  std::cout << "  " << label << ":";
  for (auto& n : names) std::cout << " " << n.get<std::string>();
  std::cout << "\n";
}

}  // namespace

int deploy_command(const StateDir& state, const std::string& file,
                   const std::map<std::string, std::string>& variables) {
  // Validate here first: a bad manifest never reaches the lane.
  nlohmann::json manifest = read_manifest_file(file, variables);
  Deployment d;
  try {
    d = parse_manifest(manifest);
  } catch (const ManifestError& e) {
    throw ManifestError(file + ": " + e.what() + "\nNothing was changed.");
  }
  auto hub = connect_to_runtime(state);
  std::cout << "Deploying " << file << " (" << d.modules.size() << " modules); waiting up to "
            << d.runtime.deploy_timeout.count() / 1000
            << " s for changed modules to become healthy...\n";
  MethodResult r = call_method(*hub, caller_id(), kAgentId, "deploy", {{"manifest", manifest}},
                               d.runtime.deploy_timeout + std::chrono::seconds(60),
                               staff_signing_key(state));
  const auto& p = r.payload;
  if (r.status == 200) {
    std::cout << "Deployed.\n";
  } else if (p.value("rolledBack", false)) {
    std::cout << "Rolled back: " << p.value("error", "") << "\n";
  } else {
    std::cerr << "checkout-edge: deploy failed: " << p.value("error", p.dump()) << "\n";
    return 1;
  }
  print_names("started", p.value("added", nlohmann::json::array()));
  print_names("restarted", p.value("restarted", nlohmann::json::array()));
  print_names("updated without restart", p.value("updated", nlohmann::json::array()));
  print_names("stopped and removed", p.value("removed", nlohmann::json::array()));
  print_names("unchanged", p.value("unchanged", nlohmann::json::array()));
  for (auto& w : p.value("warnings", nlohmann::json::array()))
    std::cout << "  warning: " << w.get<std::string>() << "\n";
  return r.status == 200 ? 0 : 1;
}

// "a.b=3" -> {"a": {"b": 3}}; the value is JSON if it parses, else a string.
nlohmann::json parse_assignment(const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw std::runtime_error("'" + assignment +
                             "' is not key=value; e.g. --set threshold=0.6 or --set "
                             "model.file=/models/v2/model.onnx (key=null removes a key)");
  std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_discarded()) value = text;
  nlohmann::json patch = value;
  for (size_t end = key.size();;) {
    size_t dot = key.rfind('.', end - 1);
    std::string part = key.substr(dot == std::string::npos ? 0 : dot + 1,
                                  end - (dot == std::string::npos ? 0 : dot + 1));
    if (part.empty()) throw std::runtime_error("'" + key + "' has an empty part between dots");
    patch = nlohmann::json{{part, patch}};
    if (dot == std::string::npos) break;
    end = dot;
  }
  return patch;
}

// Like a JSON merge patch, but a null is kept: it is what tells the runtime
// to delete the key (merge_patch here would drop it before it is sent).
static void add_to_patch(nlohmann::json& patch, const nlohmann::json& more) {
  for (auto& [k, v] : more.items()) {
    if (v.is_object() && patch.contains(k) && patch[k].is_object())
      add_to_patch(patch[k], v);
    else
      patch[k] = v;
  }
}

int twin_command(const StateDir& state, const std::string& module,
                 const std::vector<std::string>& assignments) {
  auto hub = connect_to_runtime(state);
  if (!assignments.empty()) {
    nlohmann::json patch = nlohmann::json::object();
    for (auto& a : assignments) add_to_patch(patch, parse_assignment(a));
    MethodResult r = call_method(*hub, caller_id(), kAgentId, "updateDesired",
                                 {{"id", module}, {"patch", patch}}, std::chrono::seconds(15),
                                 staff_signing_key(state));
    if (r.status != 200) {
      std::cerr << "checkout-edge: " << r.payload.value("error", r.payload.dump()) << "\n";
      return 1;
    }
  }
  // Both halves of the twin are retained on the hub: subscribing delivers them.
  std::mutex mutex;
  std::condition_variable cv;
  nlohmann::json twin{{"module", module}, {"desired", nullptr}, {"reported", nullptr}};
  int seen = 0;
  auto take = [&](const char* half) {
    return [&, half](const std::string&, const Message& m) {
      std::lock_guard lock(mutex);
      if (!m.body.empty()) twin[half] = nlohmann::json::parse(m.body, nullptr, false);
      ++seen;
      cv.notify_all();
    };
  };
  hub->subscribe(topics::desired(module), take("desired"));
  hub->subscribe(topics::reported(module), take("reported"));
  std::unique_lock lock(mutex);
  // A half that was never set sends nothing: wait briefly, not forever.
  cv.wait_for(lock, std::chrono::milliseconds(700), [&] { return seen >= 2; });
  if (twin["desired"].is_null()) {
    std::cerr << "checkout-edge: no module '" << module
              << "' in the running deployment; `checkout-edge list` shows them\n";
    return 1;
  }
  std::cout << twin.dump(2) << "\n";
  return 0;
}

int call_command(const StateDir& state, const std::string& module, const std::string& method,
                 const std::string& payload_text, double timeout_s) {
  nlohmann::json payload = nlohmann::json::object();
  if (!payload_text.empty()) {
    payload = nlohmann::json::parse(payload_text, nullptr, false);
    if (payload.is_discarded())
      throw std::runtime_error(
          "the payload '" + payload_text +
          "' is not JSON; e.g. '{\"text\": \"hello\"}' (mind the shell quotes)");
  }
  std::string target = module == "runtime" || module == kAgentId ? kAgentId : module;
  // The runtime's methods are signed as the administrator's when this user
  // can read the key; the runtime says which ones need it.
  std::string key;
  if (target == kAgentId) try {
      key = staff_signing_key(state);
    } catch (const std::exception&) {
    }
  return call_and_print(state, target, method, payload,
                        std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000)), key);
}

int restart_command(const StateDir& state, const std::string& module) {
  auto hub = connect_to_runtime(state);
  MethodResult r = call_method(*hub, caller_id(), kAgentId, "restartModule", {{"id", module}},
                               std::chrono::seconds(30));
  if (r.status != 200) {
    std::cerr << "checkout-edge: " << r.payload.value("error", r.payload.dump()) << "\n";
    return 1;
  }
  std::cout << "Restarted " << module << ".\n";
  return 0;
}

}  // namespace ce
