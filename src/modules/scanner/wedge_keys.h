// A handheld scanner set up as a USB keyboard ("keyboard wedge"): it types
// each code as key presses (Shift for capitals and symbols) and ends it with
// Enter (or Tab). This turns the input_event records into those lines.
#pragma once

#include <linux/input.h>

#include <optional>
#include <string>

namespace ce {

class WedgeKeys {
 public:
  // `end_key`: KEY_ENTER (the usual suffix) or KEY_TAB.
  explicit WedgeKeys(int end_key = KEY_ENTER) : end_key_(end_key) {}
  // A whole line (without its end key) once the end key is pressed.
  std::optional<std::string> feed(const input_event& event);

 private:
  int end_key_;
  bool shift_ = false, ctrl_ = false;
  std::string line_;
};

}  // namespace ce
