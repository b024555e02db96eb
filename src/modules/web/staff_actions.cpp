#include "modules/web/staff_actions.h"

#include <unistd.h>

#include <thread>

#include "hub/admin_auth.h"
#include "hub/method_call.h"
#include "hub/topics.h"

namespace ce {

namespace {

constexpr const char* kAgent = "$edgeAgent";
constexpr const char* kConsole = "_console";  // runtime/hub_identities.h

std::string caller_id() { return "web-staff-" + std::to_string(getpid()); }

std::string module_of(const std::string& topic) {
  // $ce/twins/NAME/desired
  auto start = std::string("$ce/twins/").size();
  return topic.substr(start, topic.rfind('/') - start);
}

}  // namespace

StaffActions::StaffActions(std::string key_file, std::string host, int port, std::string ca_file)
    : key_file_(std::move(key_file)),
      host_(std::move(host)),
      ca_file_(std::move(ca_file)),
      port_(port) {}

StaffActions::~StaffActions() {
  if (hub_) hub_->stop_dispatch();
}

std::string StaffActions::key() { return read_admin_key(key_file_); }

HubClient& StaffActions::hub() {
  std::lock_guard connecting(connect_mutex_);
  if (hub_) return *hub_;
  if (key_file_.empty())
    throw std::runtime_error(
        "this console can change nothing: its desired property stateDir (the runtime's state "
        "folder, ${STATE_DIR}) is not set");
  auto hub =
      std::make_unique<HubClient>(caller_id(), host_, port_, HubLogin{kConsole, key(), ca_file_});
  hub->connect(std::chrono::seconds(5));
  auto keep = [this](std::map<std::string, nlohmann::json>& into) {
    return [this, &into](const std::string& topic, const Message& m) {
      std::lock_guard lock(mutex_);
      last_twin_ms_ = now_ms();
      auto j = nlohmann::json::parse(m.body, nullptr, false);
      if (m.body.empty())
        into.erase(module_of(topic));
      else if (!j.is_discarded())
        into[module_of(topic)] = j;
    };
  };
  {
    std::lock_guard lock(mutex_);
    connected_ms_ = now_ms();
  }
  hub->subscribe("$ce/twins/+/desired", keep(desired_));
  hub->subscribe("$ce/twins/+/reported", keep(reported_));
  hub_ = std::move(hub);
  return *hub_;
}

nlohmann::json StaffActions::twins() {
  hub();
  // Retained twins arrive one by one right after subscribing: while they
  // still come (the first seconds), wait until none has come for 300 ms.
  for (int i = 0; i < 60; ++i) {
    {
      std::lock_guard lock(mutex_);
      long long now = now_ms();
      bool settled =
          now - connected_ms_ > 3000 || (!desired_.empty() && now - last_twin_ms_ >= 300);
      if (settled) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::object();
  for (auto& [name, d] : desired_) {
    auto r = reported_.find(name);
    out[name] = {{"desired", d}, {"reported", r == reported_.end() ? nlohmann::json() : r->second}};
  }
  return out;
}

MethodResult StaffActions::update_desired(const std::string& module, const nlohmann::json& patch) {
  try {
    return call_method(hub(), caller_id(), kAgent, "updateDesired",
                       {{"id", module}, {"patch", patch}}, std::chrono::seconds(15), key());
  } catch (const std::exception& e) {
    return {503, {{"error", e.what()}}};
  }
}

MethodResult StaffActions::deploy(const nlohmann::json& manifest) {
  try {
    return call_method(hub(), caller_id(), kAgent, "deploy", {{"manifest", manifest}},
                       std::chrono::seconds(240), key());
  } catch (const std::exception& e) {
    return {503, {{"error", e.what()}}};
  }
}

MethodResult StaffActions::running_deployment() {
  try {
    return call_method(hub(), caller_id(), kAgent, "getDeployment", nlohmann::json::object(),
                       std::chrono::seconds(10), key());
  } catch (const std::exception& e) {
    return {503, {{"error", e.what()}}};
  }
}

MethodResult StaffActions::check() {
  try {
    return call_method(hub(), caller_id(), kAgent, "check", nlohmann::json::object(),
                       std::chrono::seconds(90), key());
  } catch (const std::exception& e) {
    return {503, {{"error", e.what()}}};
  }
}

MethodResult StaffActions::call(const std::string& module, const std::string& method,
                                const nlohmann::json& payload) {
  try {
    return call_method(hub(), caller_id(), module, method, payload, std::chrono::seconds(15),
                       key());
  } catch (const std::exception& e) {
    return {503, {{"error", e.what()}}};
  }
}

}  // namespace ce
