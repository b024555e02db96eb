#include "hub/hub_client.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <cstring>
#include <stdexcept>
#include <thread>

namespace ce {

namespace {
struct LibraryInit {
  LibraryInit() { mosquitto_lib_init(); }
};
LibraryInit library_init;

std::string mosquitto_error(int rc) {
  return rc == MOSQ_ERR_ERRNO ? std::string(strerror(errno)) : mosquitto_strerror(rc);
}
}  // namespace

HubClient::HubClient(const std::string& client_id, std::string host, int port,
                     const HubLogin& login)
    : host_(std::move(host)),
      port_(port),
      mqtt311_(login.mqtt311),
      username_(login.username),
      renew_password_(login.renew_password) {
  mosq_ = mosquitto_new(client_id.c_str(), true, this);
  if (!mosq_) throw std::runtime_error("cannot create an MQTT client: out of memory");
  if (!login.username.empty())
    mosquitto_username_pw_set(mosq_, login.username.c_str(), login.password.c_str());
  if (!login.ca_file.empty()) {
    // The broker's certificate must be signed by this CA and name the host.
    if (int rc =
            mosquitto_tls_set(mosq_, login.ca_file.c_str(), nullptr, nullptr, nullptr, nullptr);
        rc != MOSQ_ERR_SUCCESS)
      throw std::runtime_error("cannot use the hub's CA certificate " + login.ca_file + ": " +
                               mosquitto_strerror(rc));
  }
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION,
                       login.mqtt311 ? MQTT_PROTOCOL_V311 : MQTT_PROTOCOL_V5);
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);  // see the broker's set_tcp_nodelay
  mosquitto_connect_v5_callback_set(
      mosq_, reinterpret_cast<void (*)(mosquitto*, void*, int, int, const mosquitto_property*)>(
                 &HubClient::on_connect));
  mosquitto_message_v5_callback_set(
      mosq_, reinterpret_cast<void (*)(mosquitto*, void*, const mosquitto_message*,
                                       const mosquitto_property*)>(&HubClient::on_message));
  mosquitto_disconnect_callback_set(mosq_, &HubClient::on_disconnect);
  // Every second, not backing off: the hub is on this machine (or beside
  // it, edgeHub), a restart takes it about a second, and a module waiting
  // 2, 3, then 5 s between tries could be away for most of the time while
  // the hub restarts again and again.
  mosquitto_reconnect_delay_set(mosq_, 1, 1, false);
}

HubClient::~HubClient() {
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, false);
  mosquitto_destroy(mosq_);
}

void HubClient::connect(std::chrono::milliseconds timeout) {
  auto started = std::chrono::steady_clock::now();
  auto deadline = started + timeout;
  int rc;
  while ((rc = mosquitto_connect(mosq_, host_.c_str(), port_, 30)) != MOSQ_ERR_SUCCESS) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("cannot reach the hub (MQTT broker) at " + host_ + ":" +
                               std::to_string(port_) + ": " + mosquitto_error(rc) +
                               ". Is the runtime running?");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (int lrc = mosquitto_loop_start(mosq_); lrc != MOSQ_ERR_SUCCESS)
    throw std::runtime_error("cannot start the MQTT network thread: " + mosquitto_error(lrc));
  // Wait for CONNACK so that publishes right after connect() are not lost.
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex_);
      if (connected_) return;
      // A login made a moment ago may reach the broker before it re-read
      // its files: refused for over a second is refused.
      if ((refused_ == MQTT_RC_NOT_AUTHORIZED || refused_ == MQTT_RC_BAD_USERNAME_OR_PASSWORD) &&
          std::chrono::steady_clock::now() > started + std::chrono::milliseconds(1500))
        throw std::runtime_error(
            "the hub at " + host_ + ":" + std::to_string(port_) + " refused this client's login (" +
            mosquitto_reason_string(refused_) +
            "): only the lane's modules and its user (who can read the state folder's "
            "admin.key) may connect");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw std::runtime_error("the hub at " + host_ + ":" + std::to_string(port_) +
                           " accepted the connection but never acknowledged it");
}

void HubClient::on_connect(mosquitto*, void* self, int rc, int, const void*) {
  auto* client = static_cast<HubClient*>(self);
  if (rc != 0) {
    std::lock_guard lock(client->mutex_);
    client->refused_ = rc;
    return;
  }
  client->resubscribe();
  std::function<void()> handler;
  {
    std::lock_guard lock(client->mutex_);
    client->connected_ = true;
    handler = client->on_connected_;
  }
  if (handler) handler();
}

void HubClient::on_connected(std::function<void()> handler) {
  std::lock_guard lock(mutex_);
  on_connected_ = std::move(handler);
}

bool HubClient::connected() {
  std::lock_guard lock(mutex_);
  return connected_;
}

void HubClient::on_disconnect(mosquitto* mosq, void* self, int rc) {
  auto* client = static_cast<HubClient*>(self);
  {
    std::lock_guard lock(client->mutex_);
    client->connected_ = false;
  }
  // edgeHub drops a connection whose token expired: the next one gets a new one.
  if (client->renew_password_ && rc != 0) {
    try {
      std::string password = client->renew_password_();
      mosquitto_username_pw_set(mosq, client->username_.c_str(), password.c_str());
    } catch (const std::exception&) {
      // The workload API is away too; the next reconnect tries again.
    }
  }
}

void HubClient::resubscribe() {
  std::vector<std::pair<std::string, int>> patterns;
  {
    std::lock_guard lock(mutex_);
    for (auto& s : subscriptions_) patterns.emplace_back(s.pattern, s.qos);
  }
  for (auto& [pattern, qos] : patterns)
    mosquitto_subscribe_v5(mosq_, nullptr, pattern.c_str(), qos, 0, nullptr);
}

void HubClient::subscribe(const std::string& pattern, Handler handler, int qos) {
  {
    std::lock_guard lock(mutex_);
    subscriptions_.push_back({pattern, std::move(handler), qos});
  }
  int rc = mosquitto_subscribe_v5(mosq_, nullptr, pattern.c_str(), qos, 0, nullptr);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN)
    throw std::runtime_error("cannot subscribe to " + pattern + ": " + mosquitto_error(rc));
}

void HubClient::unsubscribe(const std::string& pattern) {
  {
    std::lock_guard lock(mutex_);
    std::erase_if(subscriptions_, [&](auto& s) { return s.pattern == pattern; });
  }
  mosquitto_unsubscribe_v5(mosq_, nullptr, pattern.c_str(), nullptr);
}

void HubClient::publish(const std::string& topic, const Message& message, int qos, bool retain) {
  mosquitto_property* props = nullptr;
  if (!mqtt311_)
    for (auto& [name, value] : message.properties)
      mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, name.c_str(),
                                         value.c_str());
  int rc =
      mosquitto_publish_v5(mosq_, nullptr, topic.c_str(), static_cast<int>(message.body.size()),
                           message.body.data(), qos, retain, props);
  mosquitto_property_free_all(&props);
  // While the hub restarts, libmosquitto keeps a QoS 1 message to send on
  // reconnect and drops a QoS 0 one (frames, heartbeats: the next one
  // replaces it). Neither is a reason for a module to stop.
  if (rc == MOSQ_ERR_NO_CONN) return;
  if (rc != MOSQ_ERR_SUCCESS)
    throw std::runtime_error("cannot publish to " + topic + ": " + mosquitto_error(rc));
}

void HubClient::on_message(mosquitto*, void* self, const void* raw, const void* raw_props) {
  auto* client = static_cast<HubClient*>(self);
  auto* msg = static_cast<const mosquitto_message*>(raw);
  auto* props = static_cast<const mosquitto_property*>(raw_props);
  Message m;
  if (msg->payloadlen > 0) m.body.assign(static_cast<const char*>(msg->payload), msg->payloadlen);
  bool skip_first = false;
  for (const mosquitto_property* p = props;; skip_first = true) {
    char* name = nullptr;
    char* value = nullptr;
    p = mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &name, &value, skip_first);
    if (!p) break;
    m.properties[name] = value;
    free(name);
    free(value);
  }
  std::vector<Handler> handlers;
  {
    std::lock_guard lock(client->mutex_);
    for (auto& s : client->subscriptions_) {
      bool match = false;
      mosquitto_topic_matches_sub(s.pattern.c_str(), msg->topic, &match);
      if (match) handlers.push_back(s.handler);
    }
  }
  std::lock_guard dispatch(client->dispatch_mutex_);
  if (!client->dispatching_) return;
  for (auto& h : handlers) h(msg->topic, m);
}

void HubClient::stop_dispatch() {
  std::lock_guard dispatch(dispatch_mutex_);
  dispatching_ = false;
}

}  // namespace ce
