// Camera controls set at start, by the names `v4l2-ctl --list-ctrls` shows
// (focus_automatic_continuous, focus_absolute, power_line_frequency, ...),
// so staff can copy them from the tool they already use.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ce {

// `controls` maps control names to integer values. Returns what was set
// ("focus_absolute=30"); throws naming an unknown control (and listing the
// ones the device has) or a value the device refuses.
std::vector<std::string> apply_v4l2_controls(const std::string& device,
                                             const nlohmann::json& controls);

// "Focus, Automatic Continuous" -> "focus_automatic_continuous", as v4l2-ctl does.
std::string v4l2_control_key(const std::string& name);

}  // namespace ce
