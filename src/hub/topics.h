// Where things live on the broker. Modules publish to their outputs; the
// runtime's router copies each message to the inputs its routes name.
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

}  // namespace ce::topics
