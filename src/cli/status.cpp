// `list` and `logs`: read what the runtime keeps in its state folder, so
// they work from any shell while `run` is up.
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <deque>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>

#include "checkout-edge/module.h"
#include "cli/commands.h"
#include "cli/runtime_connection.h"
#include "common/stop_signal.h"
#include "runtime/log_collector.h"
#include "runtime/supervisor.h"

namespace ce {

int list_command(const StateDir& state, bool as_json) {
  auto agent = running_agent(state);
  if (!agent) {
    std::cerr << not_running_message(state) << "\n";
    return 1;
  }
  long long now = now_ms();
  if (as_json) {
    nlohmann::json out = nlohmann::json::array();
    for (auto& m : (*agent)["modules"])
      out.push_back({{"name", m["name"]},
                     {"status", m["status"]},
                     {"description", describe_module(m, now)},
                     {"version", m["version"]},
                     {"health", m.value("health", "")},
                     {"pid", m["pid"]},
                     {"restarts", m["restarts"]},
                     {"problem", m.value("problem", nlohmann::json())}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  // Health and restarts beside the status: a module that is "running" but
  // unhealthy, or restarted forty times, is what store IT looks for.
  std::cout << std::left << std::setw(14) << "NAME" << std::setw(10) << "STATUS" << std::setw(11)
            << "HEALTH" << std::setw(10) << "RESTARTS" << std::setw(40) << "DESCRIPTION"
            << "VERSION\n";
  for (auto& m : (*agent)["modules"]) {
    std::string health = m.value("health", "");
    std::cout << std::setw(14) << m.value("name", "") << std::setw(10) << m.value("status", "")
              << std::setw(11) << (health.empty() ? "-" : health) << std::setw(10)
              << m.value("restarts", 0) << std::setw(40) << describe_module(m, now)
              << m.value("version", "") << "\n";
  }
  for (auto& m : (*agent)["modules"])
    if (auto p = m.find("problem"); p != m.end() && p->is_object())
      std::cout << "\n"
                << m.value("name", "") << ": " << p->value("what", "")
                << "\n  fix: " << p->value("fix", "") << "\n";
  // The runtime rewrites agent.json every 2 s: older means it cannot.
  if (long long age = now - agent->value("updatedMs", now); age > 10000) {
    struct statvfs st {};
    long long free_mb = statvfs(state.root.c_str(), &st) == 0
                            ? static_cast<long long>(st.f_bavail) * st.f_frsize / (1024 * 1024)
                            : -1;
    std::cout << "\nruntime: cannot write its state in " << state.root.string() << " (for "
              << age / 1000 << " s, " << free_mb
              << " MB free there); what is shown above is as it was then\n"
              << "  fix: free space on that disk (`checkout-edge check` measures it); the lane "
                 "goes on and catches up by itself\n";
  }
  if (auto up = agent->find("upstream"); up != agent->end() && up->value("configured", false)) {
    std::cout << "\nupstream " << up->value("broker", "") << ": "
              << (up->value("connected", false) ? "connected" : "not connected") << ", "
              << up->value("queued", 0) << " queued, " << up->value("delivered", 0)
              << " delivered, " << up->value("expired", 0) << " expired";
    if (std::string e = up->value("lastError", ""); !e.empty() && !up->value("connected", false))
      std::cout << " (" << e << ")";
    std::cout << "\n";
  }
  return 0;
}

long long parse_duration_ms(const std::string& text) {
  static const std::regex re(R"(^\s*(\d+)\s*(ms|s|m|h|d)?\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, re))
    throw std::runtime_error("'" + text + "' is not a duration; write e.g. 30s, 10m, 2h or 1d");
  long long n = std::stoll(m[1]);
  std::string unit = m[2].matched ? m[2].str() : "s";
  static const std::map<std::string, long long> ms{
      {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
  return n * ms.at(unit);
}

int logs_command(const StateDir& state, const std::string& module, const LogOptions& options) {
  long long since = options.since.empty() ? -1 : now_ms() - parse_duration_ms(options.since);
  auto path = state.log_file(module);
  auto files = log_files_oldest_first(path);
  bool known = false;
  if (auto agent = running_agent(state))
    for (auto& m : (*agent)["modules"]) known |= m.value("name", "") == module;
  if (files.empty() && !known) {
    std::cerr << "no logs for module '" << module << "' in " << path.parent_path().string()
              << "; `checkout-edge list` shows the module names\n";
    return 1;
  }
  std::deque<std::string> last;
  bool keep = since < 0;  // a line without a stamp goes with the one before
  for (auto& f : files) {
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line)) {
      if (since >= 0)
        if (long long t = parse_log_timestamp(line); t >= 0) keep = t >= since;
      if (!keep) continue;
      last.push_back(line);
      if (options.tail >= 0 && static_cast<int>(last.size()) > options.tail) last.pop_front();
    }
  }
  for (auto& l : last) std::cout << l << "\n";
  std::cout.flush();
  if (!options.follow) return 0;

  // Follow the current file; when it is rotated away, reopen the new one.
  std::ifstream in(path);
  in.seekg(0, std::ios::end);
  struct stat st {};
  stat(path.c_str(), &st);
  ino_t inode = st.st_ino;
  std::string line;
  while (!wait_for_stop(std::chrono::milliseconds(200))) {
    while (std::getline(in, line)) std::cout << line << "\n";
    std::cout.flush();
    in.clear();
    if (stat(path.c_str(), &st) == 0 && st.st_ino != inode) {
      inode = st.st_ino;
      in = std::ifstream(path);
    }
  }
  return 0;
}

}  // namespace ce
