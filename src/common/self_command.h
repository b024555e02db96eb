// Running this program's own subcommands (`check`, `enroll`) for the
// console and the runtime, as staff would at the lane's shell.
#pragma once

#include <string>
#include <vector>

namespace ce {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // standard output, and standard error when asked
};

// `checkout-edge ARGS...`, each argument quoted for the shell; waits for it.
// Throws std::runtime_error when it cannot be started.
CommandResult run_self(const std::vector<std::string>& args, bool with_stderr, int timeout_s = 0);

}  // namespace ce
