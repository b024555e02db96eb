#include "modules/camera/v4l2_controls.h"

#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>

namespace ce {

std::string v4l2_control_key(const std::string& name) {
  std::string key;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!key.empty() && key.back() != '_')
      key += '_';
  }
  while (!key.empty() && key.back() == '_') key.pop_back();
  return key;
}

std::vector<std::string> apply_v4l2_controls(const std::string& device,
                                             const nlohmann::json& controls) {
  if (controls.is_null() || controls.empty()) return {};
  if (!controls.is_object())
    throw std::runtime_error("'controls' must be an object {\"name\": value}");
  int fd = ::open(device.c_str(), O_RDWR | O_NONBLOCK);
  if (fd < 0)
    throw std::runtime_error("cannot open " + device +
                             " to set its controls: " + std::strerror(errno));
  std::map<std::string, v4l2_queryctrl> available;
  v4l2_queryctrl q{};
  q.id = V4L2_CTRL_FLAG_NEXT_CTRL;
  while (::ioctl(fd, VIDIOC_QUERYCTRL, &q) == 0) {
    if (!(q.flags & V4L2_CTRL_FLAG_DISABLED) && q.type != V4L2_CTRL_TYPE_CTRL_CLASS)
      available[v4l2_control_key(reinterpret_cast<const char*>(q.name))] = q;
    q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
  }
  std::vector<std::string> applied;
  try {
    // Automatic modes first: a manual focus or exposure is refused while
    // its automatic mode is on (JSON objects do not keep the user's order).
    std::vector<std::pair<std::string, nlohmann::json>> ordered;
    for (const auto& [name, value] : controls.items()) ordered.emplace_back(name, value);
    std::stable_partition(ordered.begin(), ordered.end(), [](const auto& c) {
      return v4l2_control_key(c.first).find("auto") != std::string::npos;
    });
    for (const auto& [name, value] : ordered) {
      auto it = available.find(v4l2_control_key(name));
      if (it == available.end()) {
        std::string names;
        for (const auto& [n, _] : available) names += (names.empty() ? "" : ", ") + n;
        throw std::runtime_error(device + " has no control '" + name +
                                 "'; it has: " + (names.empty() ? "none" : names));
      }
      if (!value.is_number_integer() && !value.is_boolean())
        throw std::runtime_error("control '" + name + "' needs an integer value, not " +
                                 value.dump());
      v4l2_control c{it->second.id, value.is_boolean() ? int(value.get<bool>()) : value.get<int>()};
      if (c.value < it->second.minimum || c.value > it->second.maximum)
        throw std::runtime_error(
            "control '" + name + "' must be in " + std::to_string(it->second.minimum) + ".." +
            std::to_string(it->second.maximum) + ", not " + std::to_string(c.value));
      if (::ioctl(fd, VIDIOC_S_CTRL, &c) != 0)
        throw std::runtime_error(device + " refused " + name + "=" + std::to_string(c.value) +
                                 ": " + std::strerror(errno));
      applied.push_back(it->first + "=" + std::to_string(c.value));
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return applied;
}

}  // namespace ce
