// The public API a module is written against: messages in, messages out,
// desired properties from the deployment, reported properties back.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace ce {

// A message on the hub: an opaque body (JSON text or binary, e.g. a JPEG)
// plus string properties. Every message has a "messageId" and a
// "timestamp" (milliseconds since the Unix epoch) property.
struct Message {
  std::string body;
  std::map<std::string, std::string> properties;

  static Message with_json(const nlohmann::json& body);
  static Message with_bytes(std::string bytes, std::string content_type);

  // Throws std::runtime_error saying what is wrong with a body that is not
  // JSON, or nests deeper than any message of the lane (64 levels).
  nlohmann::json json() const;
  std::string property(const std::string& name, const std::string& fallback = "") const;
  std::string id() const { return property("messageId"); }
  long long timestamp_ms() const;
};

long long now_ms();  // wall clock, milliseconds since the Unix epoch
std::string new_message_id();

class HubClient;

// A direct method's answer: an HTTP-like status and a JSON payload.
struct MethodResult {
  int status = 200;
  nlohmann::json payload = nlohmann::json::object();
};

// A module's connection to the hub. Created from the environment the
// runtime gives every module (CE_MODULE_ID, CE_HUB_HOST, CE_HUB_PORT, its
// hub login CE_HUB_USERNAME, CE_HUB_PASSWORD and, with TLS, CE_HUB_CA_FILE).
class ModuleClient {
 public:
  using InputHandler = std::function<void(const Message&)>;
  using DesiredHandler = std::function<void(const nlohmann::json&)>;
  using MethodHandler = std::function<MethodResult(const nlohmann::json& request)>;

  // Started by the runtime (CE_MODULE_ID, CE_HUB_PORT, ...), or by Azure
  // IoT Edge (IOTEDGE_MODULEID, IOTEDGE_GATEWAYHOSTNAME, ...): then it
  // speaks to edgeHub, its twin and methods are IoT Hub's, and the same
  // module code runs unchanged.
  static std::unique_ptr<ModuleClient> from_environment();
  // `ca_file`: the hub speaks TLS, its certificate signed by this CA.
  ModuleClient(std::string module_id, std::string host, int port, std::string username = {},
               std::string password = {}, std::string ca_file = {});
  ~ModuleClient();

  const std::string& id() const { return id_; }

  // Handlers run on the hub's network thread: keep them short or hand off.
  void on_input(const std::string& input, InputHandler handler);
  void send_output(const std::string& output, const Message& message);
  // At most once, end to end (MQTT QoS 0): for frames, where only the
  // newest matters and a lost one is replaced by the next; no queue of them
  // builds up behind a slow receiver.
  void send_latest(const std::string& output, Message message);

  // Blocks until the module's desired properties arrive (they are retained
  // on the hub, so this is immediate once the runtime has published them).
  nlohmann::json wait_for_desired(std::chrono::milliseconds timeout);
  void on_desired_change(DesiredHandler handler);
  // Reported properties are merged into what the module reported before.
  void report(const nlohmann::json& reported);

  // A direct method (`checkout-edge call MODULE METHOD`). "ping" is built in.
  // The handler runs on the hub's network thread; a thrown exception
  // becomes a 500 reply carrying its message.
  void on_method(const std::string& name, MethodHandler handler);

  // For settings a module reads only at start: asks the runtime to restart
  // it (whatever its restartPolicy), so that it starts with the new ones.
  void restart_to_apply(const std::string& why);

  // After this returns no handler runs again: call it before the state the
  // handlers use goes away.
  void stop_receiving();

 private:
  struct IotEdge;  // the connection to edgeHub, when under IoT Edge
  explicit ModuleClient(std::unique_ptr<IotEdge> edge);
  void start_lane_hub();
  void start_edge_hub();
  void add_ping();
  MethodResult invoke(const std::string& name, const std::string& body);
  void heartbeat_loop(std::chrono::milliseconds interval);

  std::string id_;
  std::unique_ptr<HubClient> hub_;
  std::mutex mutex_;
  nlohmann::json reported_ = nlohmann::json::object();
  std::map<std::string, MethodHandler> methods_;
  long long started_ms_;
  // The runtime restarts an on-unhealthy module whose heartbeats stop.
  std::mutex heartbeat_mutex_;
  std::condition_variable heartbeat_cv_;
  bool heartbeat_stop_ = false;
  std::thread heartbeat_;
  std::unique_ptr<IotEdge> edge_;
};

}  // namespace ce
