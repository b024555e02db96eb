// A Mosquitto plugin, loaded on the modules' listener only: what a module
// may publish beyond what the ACL file says. Mosquitto's own limits are
// global (retain_available, max_packet_size), so a module could retain any
// number of 16 MB messages, one per output topic it makes up, and the broker
// would keep them all. Here:
//   - a module retains only its reported twin ($ce/twins/<it>/reported);
//   - frames (modules/<it>/outputs/frames) carry at most frame_bytes;
//   - its reported twin and other outputs at most message_bytes.
// Method replies ($ce/replies/...) are bounded only by max_packet_size: a
// reply goes to the one caller that asked, and is never kept.
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace {

struct Limits {
  mosquitto_plugin_id_t* id = nullptr;
  uint32_t frame_bytes = 8u << 20;
  uint32_t message_bytes = 1u << 20;
};

Limits limits;

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

int on_acl_check(int, void* event_data, void*) {
  auto* e = static_cast<mosquitto_evt_acl_check*>(event_data);
  if (e->access != MOSQ_ACL_WRITE) return MOSQ_ERR_PLUGIN_DEFER;
  const char* user = mosquitto_client_username(e->client);
  if (!user || !e->topic) return MOSQ_ERR_ACL_DENIED;
  std::string topic = e->topic, me = user;
  std::string reported = "$ce/twins/" + me + "/reported";
  std::string outputs = "modules/" + me + "/outputs/";
  bool refuse = false;
  if (e->retain && topic != reported) {
    refuse = true;
  } else if (topic == outputs + "frames") {
    refuse = e->payloadlen > limits.frame_bytes;
  } else if (topic == reported || starts_with(topic, outputs)) {
    refuse = e->payloadlen > limits.message_bytes;
  }
  if (!refuse) return MOSQ_ERR_PLUGIN_DEFER;
  mosquitto_log_printf(MOSQ_LOG_WARNING,
                       "checkout-edge: refused %s from %s: %u bytes%s (a module retains only its "
                       "reported twin; frames up to %u bytes, other messages up to %u)",
                       e->topic, user, e->payloadlen, e->retain ? ", retained" : "",
                       limits.frame_bytes, limits.message_bytes);
  return MOSQ_ERR_ACL_DENIED;
}

}  // namespace

extern "C" {

int mosquitto_plugin_version(int count, const int* versions) {
  for (int i = 0; i < count; ++i)
    if (versions[i] == 5) return 5;
  return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t* id, void**, mosquitto_opt* options,
                          int option_count) {
  limits.id = id;
  for (int i = 0; i < option_count; ++i) {
    long value = std::strtol(options[i].value, nullptr, 10);
    if (value <= 0) continue;
    if (std::strcmp(options[i].key, "frame_bytes") == 0) limits.frame_bytes = value;
    if (std::strcmp(options[i].key, "message_bytes") == 0) limits.message_bytes = value;
  }
  return mosquitto_callback_register(id, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr, nullptr);
}

int mosquitto_plugin_cleanup(void*, mosquitto_opt*, int) {
  return mosquitto_callback_unregister(limits.id, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr);
}

}  // extern "C"
