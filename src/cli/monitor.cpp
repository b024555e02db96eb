// `monitor`: print what arrives at the upstream broker, as
// `az iot hub monitor-events` does for IoT Hub.
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <unistd.h>

#include <iostream>

#include "checkout-edge/module.h"
#include "cli/commands.h"
#include "cli/lanes_view.h"
#include "common/stop_signal.h"
#include "runtime/manifest.h"
#include "runtime/upstream.h"

namespace ce {

namespace {

struct Monitor {
  Monitor(const MonitorOptions& o, std::string t) : options(o), topic(std::move(t)) {}
  const MonitorOptions& options;
  std::string topic;
  bool subscribed = false;
  bool refused = false;
  std::string error;
  int received = 0;
  long long last_message_ms = now_ms();
  LanesView view;

  static void on_connect(mosquitto* mosq, void* self, int rc, int, const mosquitto_property*) {
    auto* m = static_cast<Monitor*>(self);
    if (rc != 0) {
      m->refused = true;
      m->error = mosquitto_reason_string(rc);
      return;
    }
    mosquitto_subscribe_v5(mosq, nullptr, m->topic.c_str(), 1, 0, nullptr);
  }
  static void on_subscribe(mosquitto*, void* self, int, int, const int*,
                           const mosquitto_property*) {
    auto* m = static_cast<Monitor*>(self);
    if (!m->subscribed) std::cerr << "Monitoring " << m->topic << "; Ctrl-C to stop." << std::endl;
    m->subscribed = true;
  }
  static void on_message(mosquitto*, void* self, const mosquitto_message* msg,
                         const mosquitto_property* props) {
    auto* m = static_cast<Monitor*>(self);
    nlohmann::json properties = nlohmann::json::object();
    bool skip_first = false;
    for (const mosquitto_property* p = props;; skip_first = true) {
      char *name = nullptr, *value = nullptr;
      p = mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &name, &value,
                                              skip_first);
      if (!p) break;
      properties[name] = value;
      free(name);
      free(value);
    }
    std::string body(static_cast<const char*>(msg->payload), msg->payloadlen);
    nlohmann::json payload = nlohmann::json::parse(body, nullptr, false);
    if (payload.is_discarded()) payload = body;
    ++m->received;
    m->last_message_ms = now_ms();
    if (m->options.lanes) {
      try {
        m->view.add(properties, payload, m->last_message_ms);
      } catch (const std::exception&) {
        // a message outside the contract is counted, not shown
      }
      return;
    }
    nlohmann::json event{{"event",
                          {{"topic", msg->topic},
                           {"module", properties.value("connectionModuleId", "")},
                           {"properties", properties},
                           {"payload", payload}}}};
    std::cout << (m->options.as_json ? event.dump() : event.dump(2)) << std::endl;
  }
};

UpstreamSettings upstream_settings(const StateDir& state, const MonitorOptions& o) {
  UpstreamSettings s;
  try {
    nlohmann::json manifest;
    if (!o.manifest.empty())
      manifest = read_manifest_file(o.manifest, o.variables);
    else if (std::filesystem::exists(state.deployment_file()))
      manifest = nlohmann::json::parse(read_file(state.deployment_file()));
    if (!manifest.is_null()) s = parse_manifest(manifest).upstream;
  } catch (const std::exception& e) {
    if (o.host.empty()) throw;
  }
  if (!o.host.empty()) s.host = o.host;
  if (o.port) s.port = o.port;
  if (!o.username.empty()) s.username = o.username;
  if (!o.password_env.empty()) s.password_env = o.password_env;
  if (!o.ca_file.empty()) {
    s.tls = true;
    s.ca_file = o.ca_file;
  }
  if (s.host.empty())
    throw std::runtime_error(
        "no upstream broker to monitor: the deployment has no $edgeHub upstream settings; "
        "pass --host and --port, or --manifest with an upstream");
  return s;
}

}  // namespace

int monitor_command(const StateDir& state, const MonitorOptions& options) {
  UpstreamSettings s = upstream_settings(state, options);
  // The contract's topics (docs/telemetry.md): lanes/<store>/<lane>/<module>/<output>.
  std::string filter = options.topic;
  if (filter.empty() && !options.store.empty()) filter = "lanes/" + options.store + "/#";
  if (filter.empty() && options.lanes && !s.store.empty()) filter = "lanes/" + s.store + "/#";
  if (filter.empty() && !s.topic.empty()) filter = s.topic + "/#";
  if (filter.empty()) filter = "lanes/#";
  Monitor monitor(options, filter);
  std::string id =
      options.durable.empty() ? "monitor-" + new_message_id().substr(0, 12) : options.durable;
  mosquitto* mosq = mosquitto_new(id.c_str(), options.durable.empty(), &monitor);
  if (!mosq) throw std::runtime_error("cannot create an MQTT client: out of memory");
  mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_connect_v5_callback_set(mosq, &Monitor::on_connect);
  mosquitto_subscribe_v5_callback_set(mosq, &Monitor::on_subscribe);
  mosquitto_message_v5_callback_set(mosq, &Monitor::on_message);
  std::string error = set_upstream_credentials(mosq, s);
  mosquitto_property* props = nullptr;
  // A durable session keeps what arrives while this monitor is away, for a week.
  if (!options.durable.empty())
    mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 7 * 24 * 3600);
  int rc = error.empty()
               ? mosquitto_connect_bind_v5(mosq, s.host.c_str(), s.port, 30, nullptr, props)
               : MOSQ_ERR_INVAL;
  mosquitto_property_free_all(&props);
  if (error.empty() && rc != MOSQ_ERR_SUCCESS)
    error = "cannot reach the upstream broker " + s.host + ":" + std::to_string(s.port) + ": " +
            (rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
  int exit_code = 0;
  long long started = now_ms();
  bool redraw = options.lanes && !options.as_json && isatty(STDOUT_FILENO);
  long long drawn_ms = 0;
  while (error.empty() && !wait_for_stop(std::chrono::milliseconds(0))) {
    if (redraw && now_ms() - drawn_ms >= 1000) {
      drawn_ms = now_ms();
      std::cout << "\033[H\033[J" << monitor.view.table(drawn_ms) << std::flush;
    }
    if (int lrc = mosquitto_loop(mosq, 100, 1); lrc != MOSQ_ERR_SUCCESS) {
      error = "lost the upstream broker " + s.host + ":" + std::to_string(s.port) + ": " +
              (monitor.refused ? monitor.error : mosquitto_strerror(lrc));
      break;
    }
    if (monitor.refused) {
      error = "the upstream broker refused the connection: " + monitor.error +
              "; check --username and the password variable";
      break;
    }
    if (options.count > 0 && monitor.received >= options.count) break;
    long long idle_since = std::max(monitor.last_message_ms, started);
    if (options.idle_timeout > 0 && monitor.subscribed &&
        now_ms() - idle_since > options.idle_timeout * 1000)
      break;
  }
  if (options.lanes) {
    if (options.as_json)
      std::cout << monitor.view.to_json().dump() << std::endl;
    else
      std::cout << (redraw ? "\033[H\033[J" : "") << monitor.view.table(now_ms()) << std::flush;
  }
  if (!error.empty()) {
    std::cerr << "checkout-edge: " << error << "\n";
    exit_code = 1;
  }
  mosquitto_disconnect(mosq);
  mosquitto_destroy(mosq);
  return exit_code;
}

}  // namespace ce
