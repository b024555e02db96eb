#include "common/self_command.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <stdexcept>

namespace ce {

namespace {

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

CommandResult run_self(const std::vector<std::string>& args, bool with_stderr, int timeout_s) {
  std::array<char, 4096> self{};
  ssize_t n = readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (n <= 0) throw std::runtime_error("cannot find this program to run its subcommands");
  std::string command = timeout_s > 0 ? "timeout " + std::to_string(timeout_s) + " " : "";
  command += shell_quoted(std::string(self.data(), n));
  for (const auto& a : args) command += " " + shell_quoted(a);
  command += with_stderr ? " 2>&1" : " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run checkout-edge " + (args.empty() ? "" : args[0]));
  CommandResult r;
  std::array<char, 4096> buffer{};
  while (size_t got = fread(buffer.data(), 1, buffer.size(), pipe))
    r.output.append(buffer.data(), got);
  int st = pclose(pipe);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace ce
