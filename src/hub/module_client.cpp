#include <condition_variable>
#include <cstdlib>
#include <stdexcept>

#include "checkout-edge/module.h"
#include "hub/hub_client.h"
#include "hub/topics.h"

namespace ce {

static std::string required_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v)
    throw std::runtime_error(std::string(name) +
                             " is not set: modules are started by the runtime "
                             "(checkout-edge run), which sets it");
  return v;
}

std::unique_ptr<ModuleClient> ModuleClient::from_environment() {
  std::string port = required_env("CE_HUB_PORT");
  const char* host = std::getenv("CE_HUB_HOST");
  return std::make_unique<ModuleClient>(required_env("CE_MODULE_ID"),
                                        host && *host ? host : "127.0.0.1", std::stoi(port));
}

ModuleClient::ModuleClient(std::string module_id, std::string host, int port)
    : id_(std::move(module_id)), hub_(std::make_unique<HubClient>(id_, std::move(host), port)) {
  hub_->connect();
}

ModuleClient::~ModuleClient() = default;

void ModuleClient::on_input(const std::string& input, InputHandler handler) {
  hub_->subscribe(topics::input(id_, input),
                  [h = std::move(handler)](const std::string&, const Message& m) { h(m); });
}

void ModuleClient::send_output(const std::string& output, const Message& message) {
  hub_->publish(topics::output(id_, output), message);
}

nlohmann::json ModuleClient::wait_for_desired(std::chrono::milliseconds timeout) {
  struct Shared {
    std::mutex mutex;
    std::condition_variable cv;
    std::optional<nlohmann::json> desired;
    std::string error;
  };
  auto shared = std::make_shared<Shared>();
  on_desired_change([shared](const nlohmann::json& d) {
    std::lock_guard lock(shared->mutex);
    if (!shared->desired) {
      shared->desired = d;
      shared->cv.notify_all();
    }
  });
  std::unique_lock lock(shared->mutex);
  if (!shared->cv.wait_for(lock, timeout, [&] { return shared->desired.has_value(); }))
    throw std::runtime_error("module '" + id_ + "' got no desired properties from the runtime in " +
                             std::to_string(timeout.count()) + " ms");
  return *shared->desired;
}

void ModuleClient::on_desired_change(DesiredHandler handler) {
  hub_->subscribe(topics::desired(id_),
                  [h = std::move(handler)](const std::string&, const Message& m) {
                    try {
                      h(m.json());
                    } catch (const nlohmann::json::exception&) {
                      // A malformed twin is the runtime's bug; ignore rather than crash.
                    }
                  });
}

void ModuleClient::stop_receiving() { hub_->stop_dispatch(); }

void ModuleClient::report(const nlohmann::json& reported) {
  hub_->publish(topics::reported(id_), Message::with_json(reported), 1, true);
}

}  // namespace ce
