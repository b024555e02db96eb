// A thin, thread-safe MQTT v5 client over libmosquitto. Message properties
// travel as MQTT v5 user properties, so bodies stay untouched bytes.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "checkout-edge/module.h"

struct mosquitto;

namespace ce {

// Who a client is on the hub (runtime/hub_identities.h); empty: anonymous,
// which the lane's hub refuses.
struct HubLogin {
  std::string username, password;
  std::string ca_file;  // set when the hub speaks TLS: the CA that signed its certificate
  // IoT Edge's edgeHub speaks MQTT 3.1.1: no user properties (the caller
  // puts them in the topic), and a SAS token that expires, made anew here
  // before each reconnect.
  bool mqtt311 = false;
  std::function<std::string()> renew_password = nullptr;
};

class HubClient {
 public:
  using Handler = std::function<void(const std::string& topic, const Message&)>;

  HubClient(const std::string& client_id, std::string host, int port, const HubLogin& login = {});
  ~HubClient();
  HubClient(const HubClient&) = delete;
  HubClient& operator=(const HubClient&) = delete;

  // Connects, retrying until the broker answers or the timeout passes.
  // Throws std::runtime_error saying which broker could not be reached, or
  // that it refused this login.
  void connect(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Subscriptions are remembered and renewed after a reconnect.
  void subscribe(const std::string& pattern, Handler handler, int qos = 1);
  void unsubscribe(const std::string& pattern);
  // While the hub is away, QoS 1 waits for the reconnect and QoS 0 is
  // dropped; throws only for what a retry cannot fix (a bad topic, memory).
  void publish(const std::string& topic, const Message& message, int qos = 1, bool retain = false);
  bool connected();
  // Called (on the network thread, after the subscriptions are renewed)
  // each time the client (re)connects: a restarted broker has lost what
  // was retained, which the caller may publish again.
  void on_connected(std::function<void()> handler);
  // Waits for a handler in progress, then drops every later message.
  void stop_dispatch();

 private:
  static void on_connect(mosquitto*, void* self, int rc, int flags, const void* props);
  static void on_disconnect(mosquitto*, void* self, int rc);
  static void on_message(mosquitto*, void* self, const void* msg, const void* props);
  void resubscribe();

  mosquitto* mosq_ = nullptr;
  std::string host_;
  int port_;
  std::mutex mutex_;
  struct Subscription {
    std::string pattern;
    Handler handler;
    int qos;
  };
  std::vector<Subscription> subscriptions_;
  bool connected_ = false;
  std::function<void()> on_connected_;
  int refused_ = 0;  // the broker's reason code when it refused us
  bool mqtt311_ = false;
  std::string username_;
  std::function<std::string()> renew_password_;
  std::mutex dispatch_mutex_;  // held while handlers run
  bool dispatching_ = true;
};

}  // namespace ce
