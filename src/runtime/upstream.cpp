#include "runtime/upstream.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

namespace ce {

namespace {
constexpr int kWindow = 100;  // unacknowledged messages on the wire at once

std::string mosquitto_error(int rc) {
  return rc == MOSQ_ERR_ERRNO ? std::string(strerror(errno)) : mosquitto_strerror(rc);
}
}  // namespace

std::string set_upstream_credentials(mosquitto* client, const UpstreamSettings& s) {
  std::string password;
  if (!s.password_env.empty()) {
    const char* p = std::getenv(s.password_env.c_str());
    if (!p)
      return "the environment variable " + s.password_env +
             " (upstream.passwordEnv) is not set; set it where the runtime starts";
    password = p;
  }
  if (!s.username.empty())
    mosquitto_username_pw_set(client, s.username.c_str(),
                              s.password_env.empty() ? nullptr : password.c_str());
  if (s.tls) {
    int rc = mosquitto_tls_set(client, s.ca_file.c_str(), nullptr,
                               s.cert_file.empty() ? nullptr : s.cert_file.c_str(),
                               s.key_file.empty() ? nullptr : s.key_file.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS)
      return "upstream TLS files cannot be used (" + s.ca_file + "): " + mosquitto_error(rc);
  }
  return "";
}

UpstreamForwarder::UpstreamForwarder(const std::string& queue_path) : queue_(queue_path) {
  thread_ = std::thread([this] { run(); });
}

UpstreamForwarder::~UpstreamForwarder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void UpstreamForwarder::configure(const UpstreamSettings& settings) {
  std::lock_guard lock(mutex_);
  if (settings == settings_) return;
  settings_ = settings;
  settings_changed_ = true;
  wake_.notify_all();
}

void UpstreamForwarder::send(const Message& message) {
  queue_.push(message);
  wake_.notify_all();
}

nlohmann::json UpstreamForwarder::status() const {
  std::lock_guard lock(mutex_);
  return {{"configured", !settings_.host.empty()},
          {"broker",
           settings_.host.empty() ? "" : settings_.host + ":" + std::to_string(settings_.port)},
          {"connected", connected_},
          {"queued", queue_.size()},
          {"delivered", queue_.delivered()},
          {"expired", queue_.expired()},
          {"timeToLiveSecs", settings_.time_to_live_secs},
          {"lastError", last_error_}};
}

void UpstreamForwarder::on_connect(mosquitto*, void* self, int rc) {
  auto* f = static_cast<UpstreamForwarder*>(self);
  std::lock_guard lock(f->mutex_);
  if (rc == 0) {
    f->connected_ = true;
    f->last_error_.clear();
    f->failures_ = 0;
  } else {
    f->last_error_ = std::string("the upstream broker refused the connection: ") +
                     mosquitto_connack_string(rc) +
                     (rc == 4 || rc == 5 || rc == MQTT_RC_BAD_USERNAME_OR_PASSWORD ||
                              rc == MQTT_RC_NOT_AUTHORIZED
                          ? "; check upstream.username and the password variable"
                          : "");
  }
}

void UpstreamForwarder::on_disconnect(mosquitto*, void* self, int) {
  auto* f = static_cast<UpstreamForwarder*>(self);
  std::lock_guard lock(f->mutex_);
  f->connected_ = false;
}

void UpstreamForwarder::on_publish(mosquitto*, void* self, int mid) {
  // Runs on the forwarding thread, inside mosquitto_loop().
  auto* f = static_cast<UpstreamForwarder*>(self);
  auto it = f->in_flight_.find(mid);
  if (it == f->in_flight_.end()) return;
  f->queue_.remove(it->second);
  f->in_flight_.erase(it);
}

bool UpstreamForwarder::connect_locked(std::unique_lock<std::mutex>& lock) {
  UpstreamSettings s = settings_;
  lock.unlock();
  std::string error;
  mosq_ = mosquitto_new(s.client_id.c_str(), true, this);
  if (!mosq_) error = "out of memory";
  if (error.empty()) {
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_connect_callback_set(mosq_, &UpstreamForwarder::on_connect);
    mosquitto_disconnect_callback_set(mosq_, &UpstreamForwarder::on_disconnect);
    mosquitto_publish_callback_set(mosq_, &UpstreamForwarder::on_publish);
    error = set_upstream_credentials(mosq_, s);
    if (error.empty()) {
      int rc = mosquitto_connect_async(mosq_, s.host.c_str(), s.port, 30);
      if (rc != MOSQ_ERR_SUCCESS)
        error = "cannot reach the upstream broker " + s.host + ":" + std::to_string(s.port) + ": " +
                mosquitto_error(rc);
    }
  }
  lock.lock();
  if (!error.empty()) {
    last_error_ = error;
    lock.unlock();
    disconnect();
    lock.lock();
    return false;
  }
  return true;
}

void UpstreamForwarder::disconnect() {
  if (mosq_) {
    mosquitto_disconnect(mosq_);
    mosquitto_destroy(mosq_);
    mosq_ = nullptr;
  }
  in_flight_.clear();
  last_sent_ = 0;  // resend everything not acknowledged: at least once
  std::lock_guard lock(mutex_);
  connected_ = false;
}

// The contract (docs/telemetry.md): <topic>/<module>/<output>, so that a
// store's or chain's broker can grant, route and subscribe by lane and kind.
std::string upstream_topic(const UpstreamSettings& s, const Message& m) {
  auto level = [&](const char* key) {
    auto it = m.properties.find(key);
    std::string v = it == m.properties.end() || it->second.empty() ? "unknown" : it->second;
    for (char& c : v)
      if (c == '/' || c == '+' || c == '#') c = '_';
    return v;
  };
  return s.topic + "/" + level("connectionModuleId") + "/" + level("outputName");
}

void UpstreamForwarder::publish_due(const UpstreamSettings& s) {
  if (static_cast<int>(in_flight_.size()) >= kWindow) return;
  for (auto& q : queue_.after(last_sent_, kWindow - static_cast<int>(in_flight_.size()))) {
    mosquitto_property* props = nullptr;
    for (auto& [name, value] : q.message.properties)
      mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, name.c_str(),
                                         value.c_str());
    mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "enqueuedTime",
                                       std::to_string(q.enqueued_ms).c_str());
    mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "laneId",
                                       s.client_id.c_str());
    mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "storeId", s.store.c_str());
    std::string topic = upstream_topic(s, q.message);
    int mid = 0;
    int rc =
        mosquitto_publish_v5(mosq_, &mid, topic.c_str(), static_cast<int>(q.message.body.size()),
                             q.message.body.data(), 1, false, props);
    mosquitto_property_free_all(&props);
    if (rc != MOSQ_ERR_SUCCESS) break;  // the loop notices the lost connection
    in_flight_[mid] = q.seq;
    last_sent_ = q.seq;
  }
}

void UpstreamForwarder::run() {
  long long last_expiry = 0;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (settings_changed_) {
      settings_changed_ = false;
      lock.unlock();
      disconnect();
      lock.lock();
      failures_ = 0;
      next_attempt_ms_ = 0;
    }
    UpstreamSettings s = settings_;
    long long now = now_ms();
    if (now - last_expiry >= 1000) {
      last_expiry = now;
      lock.unlock();
      long long dropped = queue_.drop_older_than(now - s.time_to_live_secs * 1000);
      if (dropped)
        std::cerr << "runtime: dropped " << dropped << " upstream messages older than "
                  << s.time_to_live_secs << " s (timeToLiveSecs)\n";
      lock.lock();
    }
    if (s.host.empty()) {
      wake_.wait_for(lock, std::chrono::seconds(1));
      continue;
    }
    if (!mosq_) {
      if (now < next_attempt_ms_) {
        wake_.wait_for(lock, std::chrono::milliseconds(next_attempt_ms_ - now));
        continue;
      }
      // Backoff while the broker is away: 0.5 s doubling to 5 s.
      next_attempt_ms_ = now + std::min(5000LL, 500LL << std::min(failures_++, 4));
      if (!connect_locked(lock)) continue;
    }
    bool connected = connected_;
    lock.unlock();
    if (connected) publish_due(s);
    int rc = mosquitto_loop(mosq_, 50, 1);
    bool lost = rc != MOSQ_ERR_SUCCESS;
    lock.lock();
    if (lost || (!connected_ && connected)) {
      if (last_error_.empty() || connected)
        last_error_ = "lost the upstream broker " + s.host + ":" + std::to_string(s.port) + ": " +
                      mosquitto_error(rc);
      lock.unlock();
      disconnect();
      lock.lock();
    }
  }
  lock.unlock();
  disconnect();
}

}  // namespace ce
