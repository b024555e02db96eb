// Reading a module's desired properties with errors that name the property.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace ce {

struct SettingError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename T>
T setting(const nlohmann::json& desired, const std::string& key, const T& fallback) {
  auto it = desired.find(key);
  if (it == desired.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    throw SettingError("desired property '" + key + "' has the wrong type: found " + it->dump());
  }
}

template <typename T>
T required_setting(const nlohmann::json& desired, const std::string& key, const char* what) {
  if (!desired.contains(key))
    throw SettingError("desired property '" + key + "' is missing: " + what);
  return setting<T>(desired, key, T{});
}

}  // namespace ce
