// Sends the store-and-forward queue to the upstream MQTT broker, oldest
// first, deleting each message only when the broker acknowledges it (QoS 1):
// at least once, in order. Reconnects with backoff while the broker is away.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "runtime/manifest.h"
#include "runtime/upstream_queue.h"

struct mosquitto;

namespace ce {

// Sets the user name, password (from the environment) and TLS files on a
// client for the upstream broker. Returns what is wrong, or "" when all is set.
std::string set_upstream_credentials(mosquitto* client, const UpstreamSettings& settings);

// Where a message goes upstream: <topic>/<module>/<output> (docs/telemetry.md).
std::string upstream_topic(const UpstreamSettings& settings, const Message& message);

class UpstreamForwarder {
 public:
  explicit UpstreamForwarder(const std::string& queue_path);
  ~UpstreamForwarder();
  UpstreamForwarder(const UpstreamForwarder&) = delete;
  UpstreamForwarder& operator=(const UpstreamForwarder&) = delete;

  void configure(const UpstreamSettings& settings);  // reconnects if it changed
  void send(const Message& message);                 // queues on disk first
  nlohmann::json status() const;

 private:
  void run();
  bool connect_locked(std::unique_lock<std::mutex>& lock);
  void disconnect();
  void publish_due(const UpstreamSettings& settings);
  static void on_connect(mosquitto*, void* self, int rc);
  static void on_disconnect(mosquitto*, void* self, int rc);
  static void on_publish(mosquitto*, void* self, int mid);

  UpstreamQueue queue_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  UpstreamSettings settings_;
  bool settings_changed_ = false;
  bool stopping_ = false;
  std::string last_error_;
  bool connected_ = false;

  // Owned by the forwarding thread.
  mosquitto* mosq_ = nullptr;
  std::map<int, long long> in_flight_;  // mid -> seq
  long long last_sent_ = 0;
  int failures_ = 0;
  long long next_attempt_ms_ = 0;
  std::thread thread_;
};

}  // namespace ce
