// A USB numeric keypad (or any keyboard) as Linux reports it: input_event
// records from /dev/input/event*. Only key presses matter; each becomes the
// name the checkout understands ("0".."9", "*", "+", "-", "/", "Enter").
#pragma once

#include <linux/input.h>

#include <optional>
#include <string>

namespace ce {

// The key's name for a press (value 1) of a key the checkout uses; nothing
// for releases, auto-repeat, other keys and other event types.
std::optional<std::string> key_name(const input_event& event);

}  // namespace ce
