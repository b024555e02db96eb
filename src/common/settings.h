// Reading a module's desired properties with errors that name the property
// and say what it should be.
#pragma once

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace ce {

struct SettingError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace detail {
[[noreturn]] inline void wrong_setting(const std::string& key, const char* expected,
                                       const nlohmann::json& found) {
  std::string shown = found.dump();
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  throw SettingError("desired property '" + key + "' must be " + expected + ", found " + shown);
}
}  // namespace detail

// A number is taken only as the kind it is: 3.7 is not an int, -1 not a
// size, 1e10 not an int (a conversion would silently change the value).
template <typename T>
T setting(const nlohmann::json& desired, const std::string& key, const T& fallback) {
  auto it = desired.find(key);
  if (it == desired.end() || it->is_null()) return fallback;
  const nlohmann::json& v = *it;
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) detail::wrong_setting(key, "true or false", v);
    return v.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (!v.is_number_integer()) detail::wrong_setting(key, "a whole number", v);
    if constexpr (std::is_unsigned_v<T>) {
      if (v.is_number_unsigned() ? v.get<unsigned long long>() > std::numeric_limits<T>::max()
                                 : true)
        detail::wrong_setting(key, "a whole number, not negative", v);
      return static_cast<T>(v.get<unsigned long long>());
    } else {
      if (v.is_number_unsigned() ? v.get<unsigned long long>() > static_cast<unsigned long long>(
                                                                     std::numeric_limits<T>::max())
                                 : v.get<long long>() < std::numeric_limits<T>::min() ||
                                       v.get<long long>() > std::numeric_limits<T>::max())
        detail::wrong_setting(key, "a whole number of ordinary size", v);
      return static_cast<T>(v.get<long long>());
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number() || !std::isfinite(v.get<double>()))
      detail::wrong_setting(key, "a number", v);
    return v.get<T>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) detail::wrong_setting(key, "a string", v);
    return v.get<std::string>();
  } else {
    try {
      return v.get<T>();
    } catch (const nlohmann::json::exception&) {
      throw SettingError("desired property '" + key + "' has the wrong type: found " + v.dump());
    }
  }
}

template <typename T>
T required_setting(const nlohmann::json& desired, const std::string& key, const char* what) {
  if (!desired.contains(key) || desired[key].is_null())
    throw SettingError("desired property '" + key + "' is missing: " + what);
  return setting<T>(desired, key, T{});
}

// A whole number in [min, max], with its unit in the message.
template <typename T>
T setting_in(const nlohmann::json& desired, const std::string& key, T fallback, T min, T max,
             const char* unit = "") {
  T v = setting<T>(desired, key, fallback);
  if (v < min || v > max) {
    auto text = [](T x) {
      std::string s = std::to_string(x);
      if constexpr (std::is_floating_point_v<T>) {
        s.erase(s.find_last_not_of('0') + 1);
        if (!s.empty() && s.back() == '.') s.pop_back();
      }
      return s;
    };
    throw SettingError("desired property '" + key + "' must be " + text(min) + " to " + text(max) +
                       (*unit ? std::string(" ") + unit : "") + ", found " + text(v));
  }
  return v;
}

// A list of strings, each one `valid`; `what` says what they are and shows
// one, for the message: "absolute folder paths, such as [\"/srv/photos\"]".
template <typename Valid>
std::vector<std::string> setting_strings(const nlohmann::json& desired, const std::string& key,
                                         const char* what, Valid valid) {
  std::vector<std::string> out;
  auto it = desired.find(key);
  if (it == desired.end() || it->is_null()) return out;
  if (!it->is_array()) detail::wrong_setting(key, (std::string("a list of ") + what).c_str(), *it);
  for (const auto& v : *it) {
    if (!v.is_string() || !valid(v.get<std::string>()))
      detail::wrong_setting(key, (std::string("a list of ") + what).c_str(), v);
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace ce
