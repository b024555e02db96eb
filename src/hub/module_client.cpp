#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "checkout-edge/module.h"
#include "hub/hub_client.h"
#include "hub/method_call.h"
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
  const char* user = std::getenv("CE_HUB_USERNAME");
  const char* password = std::getenv("CE_HUB_PASSWORD");
  const char* ca = std::getenv("CE_HUB_CA_FILE");
  auto client = std::make_unique<ModuleClient>(
      required_env("CE_MODULE_ID"), host && *host ? host : "127.0.0.1", std::stoi(port),
      user ? user : "", password ? password : "", ca ? ca : "");
  // Not for the module's own children (a voice engine, a helper script).
  unsetenv("CE_HUB_PASSWORD");
  return client;
}

ModuleClient::ModuleClient(std::string module_id, std::string host, int port, std::string username,
                           std::string password, std::string ca_file)
    : id_(std::move(module_id)),
      hub_(std::make_unique<HubClient>(
          id_, std::move(host), port,
          HubLogin{std::move(username), std::move(password), std::move(ca_file)})),
      started_ms_(now_ms()) {
  hub_->connect();
  // A restarted hub has forgotten the retained reported twin.
  hub_->on_connected([this] {
    nlohmann::json all;
    {
      std::lock_guard lock(mutex_);
      all = reported_;
    }
    if (all.is_object() && !all.empty())
      hub_->publish(topics::reported(id_), Message::with_json(all), 1, true);
  });
  on_method("ping", [this](const nlohmann::json&) {
    return MethodResult{
        200,
        {{"module", id_},
         {"pid", getpid()},
         {"uptimeMs", now_ms() - started_ms_},
         {"version", std::getenv("CE_MODULE_VERSION") ? std::getenv("CE_MODULE_VERSION") : ""}}};
  });
  hub_->subscribe(topics::method(id_, "+"), [this](const std::string& topic, const Message& m) {
    std::string name = topic.substr(topic.rfind('/') + 1);
    std::string reply_to = m.property("replyTo");
    if (reply_to.empty()) return;  // nobody to answer
    MethodResult result;
    MethodHandler handler;
    {
      std::lock_guard lock(mutex_);
      if (auto it = methods_.find(name); it != methods_.end()) handler = it->second;
    }
    if (!handler) {
      std::string known;
      std::lock_guard lock(mutex_);
      for (auto& [k, _] : methods_) known += (known.empty() ? "" : ", ") + k;
      result = {404,
                {{"error", "module '" + id_ + "' has no method '" + name + "'; it has: " + known}}};
    } else {
      nlohmann::json request;
      try {
        request = m.body.empty() ? nlohmann::json::object() : m.json();
        if (!request.is_object()) throw std::runtime_error("the payload must be a JSON object");
      } catch (const std::exception& e) {
        result = {400, {{"error", "method '" + name + "': " + e.what()}}};
        handler = nullptr;
      }
      try {
        if (handler) result = handler(request);
      } catch (const nlohmann::json::exception& e) {
        result = {400,
                  {{"error", "method '" + name +
                                 "': a field is missing or of the wrong type: " + e.what()}}};
      } catch (const std::exception& e) {
        result = {500, {{"error", e.what()}}};
      }
    }
    try {
      reply_to_method(*hub_, m, result);
    } catch (const std::exception& e) {
      std::cerr << id_ << ": cannot answer method " << name << ": " << e.what() << "\n";
    }
  });
  long long interval = 1000;
  if (const char* v = std::getenv("CE_HEARTBEAT_MS")) interval = std::max(50LL, std::atoll(v));
  heartbeat_ =
      std::thread([this, interval] { heartbeat_loop(std::chrono::milliseconds(interval)); });
}

ModuleClient::~ModuleClient() {
  {
    std::lock_guard lock(heartbeat_mutex_);
    heartbeat_stop_ = true;
  }
  heartbeat_cv_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
}

void ModuleClient::heartbeat_loop(std::chrono::milliseconds interval) {
  std::unique_lock lock(heartbeat_mutex_);
  while (!heartbeat_stop_) {
    lock.unlock();
    try {
      hub_->publish(topics::heartbeat(id_), Message::with_json({{"pid", getpid()}}), 0);
    } catch (const std::exception&) {
      // Not connected right now; the runtime notices the silence.
    }
    lock.lock();
    heartbeat_cv_.wait_for(lock, interval, [this] { return heartbeat_stop_; });
  }
}

void ModuleClient::on_method(const std::string& name, MethodHandler handler) {
  std::lock_guard lock(mutex_);
  methods_[name] = std::move(handler);
}

void ModuleClient::on_input(const std::string& input, InputHandler handler) {
  hub_->subscribe(topics::input(id_, input),
                  [h = std::move(handler)](const std::string&, const Message& m) { h(m); });
}

void ModuleClient::send_output(const std::string& output, const Message& message) {
  hub_->publish(topics::output(id_, output), message);
}

void ModuleClient::send_latest(const std::string& output, Message message) {
  message.properties["delivery"] = "latest";  // the router forwards it the same way
  hub_->publish(topics::output(id_, output), message, 0);
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
                    nlohmann::json desired;
                    try {
                      desired = m.json();
                    } catch (const std::exception& e) {
                      // Only the runtime writes twins; a malformed one is
                      // ignored rather than allowed to crash the module.
                      std::cerr << "ignored malformed desired properties: " << e.what() << "\n";
                      return;
                    }
                    if (desired.is_object()) h(desired);
                  });
}

void ModuleClient::restart_to_apply(const std::string& why) {
  std::cerr << id_ << ": restarting to apply " << why << "\n";
  // No reply is awaited: the runtime's answer would come as this process stops.
  hub_->publish(topics::restart_request(id_), Message::with_json({{"reason", why}}));
}

void ModuleClient::stop_receiving() { hub_->stop_dispatch(); }

void ModuleClient::report(const nlohmann::json& reported) {
  nlohmann::json all;
  {
    std::lock_guard lock(mutex_);
    reported_.merge_patch(reported);
    all = reported_;
  }
  hub_->publish(topics::reported(id_), Message::with_json(all), 1, true);
}

}  // namespace ce
