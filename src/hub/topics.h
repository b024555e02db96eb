// Where things live on the broker. Modules publish to their outputs; the
// runtime's router copies each message to the inputs its routes name.
// Everything under $ce/ is the runtime's own traffic: twins, heartbeats,
// direct methods.
#pragma once

#include <string>

namespace ce::topics {

inline std::string output(const std::string& module, const std::string& name) {
  return "modules/" + module + "/outputs/" + name;
}
inline std::string input(const std::string& module, const std::string& name) {
  return "modules/" + module + "/inputs/" + name;
}
inline constexpr const char* all_outputs = "modules/+/outputs/#";
inline std::string desired(const std::string& module) { return "$ce/twins/" + module + "/desired"; }
inline std::string reported(const std::string& module) {
  return "$ce/twins/" + module + "/reported";
}
inline std::string heartbeat(const std::string& module) { return "$ce/heartbeats/" + module; }
inline constexpr const char* all_heartbeats = "$ce/heartbeats/+";
inline std::string method(const std::string& module, const std::string& name) {
  return "$ce/methods/" + module + "/" + name;
}
// A module asking the runtime to restart it (to apply settings read at
// start): the topic, which only that module may publish to, says who.
inline std::string restart_request(const std::string& module) { return "$ce/restart/" + module; }
inline constexpr const char* all_restart_requests = "$ce/restart/+";
inline std::string method_reply(const std::string& caller, const std::string& request_id) {
  return "$ce/replies/" + caller + "/" + request_id;
}

}  // namespace ce::topics
