#pragma once

#include <string>

#include "runtime/state_dir.h"

namespace ce {

struct DemoOptions {
  std::string shared;
  int items = 0;  // 0: every item in the scenario
  bool keep_basket = false;
};

int demo_command(const StateDir& state, const DemoOptions& options);
int list_command(const StateDir& state, bool as_json);
int logs_command(const StateDir& state, const std::string& module, int tail, bool follow);

}  // namespace ce
