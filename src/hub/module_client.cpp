#include <sys/prctl.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>

#include "checkout-edge/module.h"
#include "hub/hub_client.h"
#include "hub/iotedge_identity.h"
#include "hub/method_call.h"
#include "hub/topics.h"

namespace ce {

static std::string required_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v)
    throw std::runtime_error(std::string(name) +
                             " is not set: modules are started by the runtime "
                             "(checkout-edge run), which sets it, or by Azure IoT Edge, which "
                             "sets IOTEDGE_MODULEID and the rest of a module's connection");
  return v;
}

// The runtime hands a process module its hub password on a pipe (fd N in
// CE_HUB_PASSWORD_FD), so that it is in no environment; a container's
// engine passes CE_HUB_PASSWORD.
static std::string hub_password() {
  if (const char* fd_text = std::getenv("CE_HUB_PASSWORD_FD")) {
    int fd = std::atoi(fd_text);
    std::string password;
    char buf[256];
    ssize_t n;
    while (fd > 2 && (n = read(fd, buf, sizeof buf)) > 0) password.append(buf, n);
    if (fd > 2) close(fd);
    unsetenv("CE_HUB_PASSWORD_FD");
    if (password.empty())
      throw std::runtime_error(
          "the module's hub password was not on its pipe (fd " + std::string(fd_text) +
          "): a module reads it once, when the runtime starts it; restart it with "
          "`checkout-edge restart MODULE`");
    return password;
  }
  const char* password = std::getenv("CE_HUB_PASSWORD");
  std::string out = password ? password : "";
  // Not for the module's own children (a voice engine, a helper script).
  unsetenv("CE_HUB_PASSWORD");
  return out;
}

// Under IoT Edge: who the module is, what it has heard of its twin, and
// the handlers its inputs and twin changes go to (edgeHub has one topic
// for all of a module's inputs, and sends twin changes as patches).
struct ModuleClient::IotEdge {
  IotEdgeIdentity identity;
  std::string prefix;  // devices/<device>/modules/<module>/
  std::mutex mutex;
  std::map<std::string, std::vector<InputHandler>> inputs;
  std::vector<DesiredHandler> desired_handlers;
  std::optional<nlohmann::json> desired;
  long long next_rid = 1;
  std::string twin_request;  // the $rid of the last GET
};

namespace {

// IoT Hub's property bag: k=v&k=v, percent-encoded; system properties start with $.
std::string property_bag(const Message& m, const std::string& output) {
  std::string bag = "%24.on=" + url_encode(output);
  for (auto& [k, v] : m.properties) {
    if (k == "contentType") bag += "&%24.ct=" + url_encode(v);
    if (k == "messageId") bag += "&%24.mid=" + url_encode(v);
    bag += "&" + url_encode(k) + "=" + url_encode(v);
  }
  return bag;
}

void read_property_bag(const std::string& bag, Message& m) {
  size_t start = 0;
  while (start < bag.size()) {
    size_t amp = bag.find('&', start);
    std::string pair =
        bag.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    start = amp == std::string::npos ? bag.size() : amp + 1;
    size_t eq = pair.find('=');
    std::string key = url_decode(pair.substr(0, eq));
    std::string value = eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1));
    if (key.rfind("$.", 0) == 0) continue;  // IoT Hub's own; ours travel as they are
    m.properties[key] = value;
  }
}

// "...?$rid=7&$version=3" → "7"
std::string query_value(const std::string& topic, const std::string& key) {
  size_t q = topic.find('?');
  if (q == std::string::npos) return "";
  std::string query = topic.substr(q + 1);
  size_t at = query.find(key + "=");
  if (at == std::string::npos) return "";
  size_t end = query.find('&', at);
  return query.substr(at + key.size() + 1,
                      end == std::string::npos ? std::string::npos : end - at - key.size() - 1);
}

nlohmann::json without_metadata(nlohmann::json twin) {
  if (twin.is_object()) {
    twin.erase("$version");
    twin.erase("$metadata");
  }
  return twin;
}

}  // namespace

std::unique_ptr<ModuleClient> ModuleClient::from_environment() {
  if (!std::getenv("CE_HUB_PORT")) {
    if (auto identity = IotEdgeIdentity::from_environment()) {
      // The module's files go to the lane's state volume, as the runtime
      // would put them (the runtime makes the folder; here the module does).
      std::string data = std::getenv("CE_DATA_DIR") ? std::getenv("CE_DATA_DIR") : "";
      if (data.empty()) data = "/var/lib/checkout-edge/data/" + identity->module_id;
      std::error_code ec;
      std::filesystem::create_directories(data, ec);
      if (ec)
        throw std::runtime_error("cannot make the module's data folder " + data + ": " +
                                 ec.message() +
                                 " (bind the lane's state volume, or set CE_DATA_DIR)");
      setenv("CE_DATA_DIR", data.c_str(), 1);
      auto edge = std::make_unique<IotEdge>();
      edge->identity = std::move(*identity);
      return std::unique_ptr<ModuleClient>(new ModuleClient(std::move(edge)));
    }
  }
  std::string port = required_env("CE_HUB_PORT");
  const char* host = std::getenv("CE_HUB_HOST");
  const char* user = std::getenv("CE_HUB_USERNAME");
  const char* ca = std::getenv("CE_HUB_CA_FILE");
  // Nor in its memory for another process of the lane's user to read.
  prctl(PR_SET_DUMPABLE, 0);
  return std::make_unique<ModuleClient>(required_env("CE_MODULE_ID"),
                                        host && *host ? host : "127.0.0.1", std::stoi(port),
                                        user ? user : "", hub_password(), ca ? ca : "");
}

ModuleClient::ModuleClient(std::string module_id, std::string host, int port, std::string username,
                           std::string password, std::string ca_file)
    : id_(std::move(module_id)),
      hub_(std::make_unique<HubClient>(id_, std::move(host), port,
                                       HubLogin{.username = std::move(username),
                                                .password = std::move(password),
                                                .ca_file = std::move(ca_file)})),
      started_ms_(now_ms()) {
  hub_->connect();
  start_lane_hub();
}

ModuleClient::ModuleClient(std::unique_ptr<IotEdge> edge)
    : id_(edge->identity.module_id), started_ms_(now_ms()), edge_(std::move(edge)) {
  const IotEdgeIdentity& who = edge_->identity;
  edge_->prefix = "devices/" + who.device_id + "/modules/" + who.module_id + "/";
  // edgeHub's certificate is signed by IoT Edge's CA, which the workload API hands out.
  auto ca = std::filesystem::temp_directory_path() / ("checkout-edge-" + id_ + "-edge-ca.pem");
  {
    std::ofstream out(ca, std::ios::trunc);
    out << who.trust_bundle();
    if (!out) throw std::runtime_error("cannot write IoT Edge's trust bundle to " + ca.string());
  }
  auto lifetime = std::chrono::hours(1);
  int port = 8883;  // edgeHub's MQTT over TLS
  if (const char* p = std::getenv("CE_IOTEDGE_GATEWAY_PORT")) port = std::atoi(p);
  hub_ = std::make_unique<HubClient>(
      who.client_id(), who.gateway_hostname, port,
      HubLogin{.username = who.username(),
               .password = who.sas_token(lifetime),
               .ca_file = ca.string(),
               .mqtt311 = true,
               .renew_password = [who, lifetime] { return who.sas_token(lifetime); }});
  hub_->connect(std::chrono::seconds(30));
  start_edge_hub();
}

void ModuleClient::start_lane_hub() {
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
  add_ping();
  hub_->subscribe(topics::method(id_, "+"), [this](const std::string& topic, const Message& m) {
    std::string name = topic.substr(topic.rfind('/') + 1);
    if (m.property("replyTo").empty()) return;  // nobody to answer
    MethodResult result = invoke(name, m.body);
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

// IoT Hub's MQTT topics, as edgeHub serves them to a module. No heartbeats:
// IoT Edge's agent watches the container.
void ModuleClient::start_edge_hub() {
  add_ping();
  hub_->subscribe("$iothub/methods/POST/#", [this](const std::string& topic, const Message& m) {
    // $iothub/methods/POST/<name>/?$rid=<id>
    std::string rest = topic.substr(std::string("$iothub/methods/POST/").size());
    std::string name = rest.substr(0, rest.find('/'));
    std::string rid = query_value(topic, "$rid");
    MethodResult result = invoke(name, m.body);
    hub_->publish("$iothub/methods/res/" + std::to_string(result.status) + "/?$rid=" + rid,
                  Message::with_json(result.payload));
  });
  auto deliver_desired = [this](const nlohmann::json& desired) {
    std::vector<DesiredHandler> handlers;
    {
      std::lock_guard lock(edge_->mutex);
      edge_->desired = desired;
      handlers = edge_->desired_handlers;
    }
    for (auto& h : handlers) h(desired);
  };
  hub_->subscribe("$iothub/twin/res/#",
                  [this, deliver_desired](const std::string& topic, const Message& m) {
                    // $iothub/twin/res/<status>/?$rid=<id>: the answer to our GET (or to a PATCH,
                    // 204)
                    std::string rid = query_value(topic, "$rid");
                    {
                      std::lock_guard lock(edge_->mutex);
                      if (rid != edge_->twin_request) return;
                    }
                    auto twin = nlohmann::json::parse(m.body, nullptr, false);
                    if (twin.is_object() && twin.contains("desired") && twin["desired"].is_object())
                      deliver_desired(without_metadata(twin["desired"]));
                  });
  hub_->subscribe("$iothub/twin/PATCH/properties/desired/#",
                  [this, deliver_desired](const std::string&, const Message& m) {
                    auto patch = nlohmann::json::parse(m.body, nullptr, false);
                    if (!patch.is_object()) return;
                    nlohmann::json desired;
                    {
                      std::lock_guard lock(edge_->mutex);
                      desired = edge_->desired.value_or(nlohmann::json::object());
                    }
                    desired.merge_patch(without_metadata(patch));
                    deliver_desired(desired);
                  });
  hub_->subscribe(edge_->prefix + "#", [this](const std::string& topic, const Message& raw) {
    // devices/<d>/modules/<m>/inputs/<input>/<property bag>
    std::string rest = topic.substr(edge_->prefix.size());
    if (rest.rfind("inputs/", 0) != 0) return;
    rest = rest.substr(7);
    size_t slash = rest.find('/');
    std::string input = rest.substr(0, slash);
    Message m = raw;
    if (slash != std::string::npos) read_property_bag(rest.substr(slash + 1), m);
    std::vector<InputHandler> handlers;
    {
      std::lock_guard lock(edge_->mutex);
      if (auto it = edge_->inputs.find(input); it != edge_->inputs.end()) handlers = it->second;
    }
    for (auto& h : handlers) h(m);
  });
  auto get_twin = [this] {
    std::string rid;
    {
      std::lock_guard lock(edge_->mutex);
      rid = edge_->twin_request = std::to_string(edge_->next_rid++);
    }
    hub_->publish("$iothub/twin/GET/?$rid=" + rid, Message{});
  };
  // After a reconnect: the twin may have changed meanwhile, and edgeHub
  // should hear everything reported.
  hub_->on_connected([this, get_twin] {
    get_twin();
    nlohmann::json all;
    {
      std::lock_guard lock(mutex_);
      all = reported_;
    }
    if (all.is_object() && !all.empty()) {
      std::string rid;
      {
        std::lock_guard lock(edge_->mutex);
        rid = std::to_string(edge_->next_rid++);
      }
      hub_->publish("$iothub/twin/PATCH/properties/reported/?$rid=" + rid, Message::with_json(all));
    }
  });
  get_twin();
}

void ModuleClient::add_ping() {
  on_method("ping", [this](const nlohmann::json&) {
    return MethodResult{
        200,
        {{"module", id_},
         {"pid", getpid()},
         {"uptimeMs", now_ms() - started_ms_},
         {"version", std::getenv("CE_MODULE_VERSION") ? std::getenv("CE_MODULE_VERSION") : ""}}};
  });
}

MethodResult ModuleClient::invoke(const std::string& name, const std::string& body) {
  MethodHandler handler;
  {
    std::lock_guard lock(mutex_);
    if (auto it = methods_.find(name); it != methods_.end()) handler = it->second;
  }
  if (!handler) {
    std::string known;
    std::lock_guard lock(mutex_);
    for (auto& [k, _] : methods_) known += (known.empty() ? "" : ", ") + k;
    return {404,
            {{"error", "module '" + id_ + "' has no method '" + name + "'; it has: " + known}}};
  }
  nlohmann::json request;
  try {
    Message m;  // its reader limits how deep the JSON may nest
    m.body = body;
    request = body.empty() ? nlohmann::json::object() : m.json();
    if (!request.is_object()) throw std::runtime_error("the payload must be a JSON object");
  } catch (const std::exception& e) {
    return {400, {{"error", "method '" + name + "': " + e.what()}}};
  }
  try {
    return handler(request);
  } catch (const nlohmann::json::exception& e) {
    return {
        400,
        {{"error", "method '" + name + "': a field is missing or of the wrong type: " + e.what()}}};
  } catch (const std::exception& e) {
    return {500, {{"error", e.what()}}};
  }
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
  if (edge_) {
    std::lock_guard lock(edge_->mutex);
    edge_->inputs[input].push_back(std::move(handler));
    return;
  }
  hub_->subscribe(topics::input(id_, input),
                  [h = std::move(handler)](const std::string&, const Message& m) { h(m); });
}

void ModuleClient::send_output(const std::string& output, const Message& message) {
  if (edge_)
    hub_->publish(edge_->prefix + "messages/events/" + property_bag(message, output), message);
  else
    hub_->publish(topics::output(id_, output), message);
}

void ModuleClient::send_latest(const std::string& output, Message message) {
  message.properties["delivery"] = "latest";  // the router forwards it the same way
  if (edge_)
    hub_->publish(edge_->prefix + "messages/events/" + property_bag(message, output), message, 0);
  else
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
  if (edge_) {
    std::optional<nlohmann::json> known;
    {
      std::lock_guard lock(edge_->mutex);
      edge_->desired_handlers.push_back(handler);
      known = edge_->desired;
    }
    if (known) handler(*known);  // as a retained twin reaches a new subscriber
    return;
  }
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
  if (edge_) {
    // IoT Edge's agent restarts a module that exits (restartPolicy); this
    // one holds nothing that needs saving (the scale, speech).
    std::cerr.flush();
    std::_Exit(75);
  }
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
  if (edge_) {  // IoT Hub merges the patch into the module twin
    std::string rid;
    {
      std::lock_guard lock(edge_->mutex);
      rid = std::to_string(edge_->next_rid++);
    }
    hub_->publish("$iothub/twin/PATCH/properties/reported/?$rid=" + rid,
                  Message::with_json(reported));
    return;
  }
  hub_->publish(topics::reported(id_), Message::with_json(all), 1, true);
}

}  // namespace ce
