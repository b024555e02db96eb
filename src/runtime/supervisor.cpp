#include "runtime/supervisor.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include "checkout-edge/module.h"
#include "runtime/module_env.h"
#include "runtime/module_sandbox.h"

namespace ce {

const char* to_string(ModuleStatus s) {
  switch (s) {
    case ModuleStatus::Running:
      return "running";
    case ModuleStatus::Stopped:
      return "stopped";
    case ModuleStatus::Backoff:
      return "backoff";
    case ModuleStatus::Failed:
      return "failed";
  }
  return "?";
}

bool ModuleProcess::heartbeating(long long now, std::chrono::milliseconds timeout) const {
  return now - std::max(started_ms, last_heartbeat_ms) <= timeout.count();
}

static LogLimits log_limits(const RuntimeSettings& s) {
  return {static_cast<size_t>(s.log_max_bytes), s.log_files};
}

Supervisor::Supervisor(StateDir state, RuntimeSettings settings,
                       std::map<std::string, std::string> env)
    : state_(std::move(state)),
      settings_(settings),
      env_(std::move(env)),
      logs_(std::make_unique<LogCollector>(state_.root / "logs", log_limits(settings))) {}

Supervisor::~Supervisor() { stop_all(); }

void Supervisor::add(ModuleSpec spec, std::vector<std::string> command) {
  ModuleProcess m;
  m.spec = std::move(spec);
  m.command = std::move(command);
  // Keep startup order, so stop_all() stops in reverse of it.
  auto pos = std::find_if(modules_.begin(), modules_.end(), [&](auto& other) {
    return other.spec.startup_order > m.spec.startup_order;
  });
  pos = modules_.insert(pos, std::move(m));
  if (pos->spec.running) start(*pos);
}

void Supervisor::remove(const std::string& name) {
  if (auto* m = find_mutable(name)) stop(*m, std::chrono::seconds(5));
  std::erase_if(modules_, [&](auto& m) { return m.spec.name == name; });
}

bool Supervisor::restart(const std::string& name) {
  ModuleProcess* m = find_mutable(name);
  if (!m) return false;
  stop(*m, std::chrono::seconds(5));
  m->restarts = 0;
  start(*m);
  return true;
}

void Supervisor::update_spec(const ModuleSpec& spec) {
  if (ModuleProcess* m = find_mutable(spec.name)) m->spec = spec;
}

void Supervisor::update_settings(const RuntimeSettings& settings) {
  settings_ = settings;
  logs_->set_limits(log_limits(settings));
}

void Supervisor::note_heartbeat(const std::string& name) {
  std::lock_guard lock(heartbeat_mutex_);
  heartbeats_[name] = now_ms();
}

const ModuleProcess* Supervisor::find(const std::string& name) const {
  for (auto& m : modules_)
    if (m.spec.name == name) return &m;
  return nullptr;
}

// One name per lane and module: two lanes on one host (or two test runs)
// never take each other's containers over.
std::string Supervisor::container_name(const std::string& module) const {
  auto h = std::hash<std::string>{}(std::filesystem::absolute(state_.root).string());
  char hex[17];
  snprintf(hex, sizeof hex, "%016zx", h);
  return "checkout-edge-" + module + "-" + std::string(hex, 8);
}

ModuleProcess* Supervisor::find_mutable(const std::string& name) {
  return const_cast<ModuleProcess*>(find(name));
}

void Supervisor::start(ModuleProcess& m) {
  std::filesystem::create_directories(state_.log_file(m.spec.name).parent_path());
  std::filesystem::create_directories(state_.data_dir(m.spec.name));

  // Everything the child needs is built before fork(): after it only
  // async-signal-safe calls are allowed.
  // A process module gets the system's basics of the runtime's environment;
  // a container engine all of it (the module inside gets only `own`).
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string name = kv.substr(0, eq);
    if (!private_env_.count(name) && (m.spec.container || passed_to_modules(name)))
      env[name] = kv.substr(eq + 1);
  }
  std::map<std::string, std::string> own;  // what the runtime gives this module
  for (auto& [k, v] : env_) own[k] = v;
  own["CE_MODULE_ID"] = m.spec.name;
  own["CE_MODULE_VERSION"] = m.spec.version;
  own["CE_DATA_DIR"] = state_.data_dir(m.spec.name).string();
  own["CE_HEARTBEAT_MS"] = std::to_string(settings_.heartbeat_interval.count());
  std::vector<std::string> unset;
  for (auto& [k, v] : m.spec.env) own[k] = with_environment(v, &unset);
  std::string unset_note;
  for (const std::string& name : unset)
    unset_note += "checkout-edge: the module's env names ${" + name +
                  "}, which is not set in the runtime's environment (set it where the runtime "
                  "starts, e.g. the service's EnvironmentFile); it reads as empty\n";
  if (module_env_)
    for (auto& [k, v] : module_env_(m.spec.name)) own[k] = v;
  for (auto& [k, v] : own) env[k] = v;

  // A process module is confined by the kernel, and reads its hub password
  // from a pipe (fd 3), not its environment: /proc/PID/environ keeps what a
  // process started with for as long as it runs.
  std::shared_ptr<ModuleSandbox> sandbox;
  std::string password;
  if (!m.spec.container && !m.spec.lane_service) {
    if (auto pw = env.find("CE_HUB_PASSWORD"); pw != env.end()) {
      password = pw->second;
      env.erase(pw);
      env["CE_HUB_PASSWORD_FD"] = "3";
    }
    if (settings_.isolate_modules) {
      try {
        auto tmp = state_.data_dir(m.spec.name) / "tmp";
        std::filesystem::create_directories(tmp);
        env["TMPDIR"] = tmp.string();
        std::vector<const ModuleSpec*> lane;
        for (const ModuleProcess& other : modules_) lane.push_back(&other.spec);
        sandbox = std::make_shared<ModuleSandbox>(m.spec, state_, lane);
      } catch (const std::exception& e) {
        if (landlock_abi() > 0) {
          // The kernel can confine it but refused: never run it loose.
          std::cerr << "runtime: cannot start " << m.spec.name << ": " << e.what() << "\n";
          m.status = ModuleStatus::Failed;
          m.exited_ms = now_ms();
          return;
        }
        if (!warned_unconfined_)
          std::cerr << "runtime: modules run unconfined: " << e.what()
                    << " (`checkout-edge check` says what that means)\n";
        warned_unconfined_ = true;
      }
    }
  }
  m.sandbox = sandbox;  // none when it runs unconfined
  int secret[2] = {-1, -1};
  if (!password.empty()) {
    // The pipe holds the few bytes until the module reads them.
    if (pipe2(secret, O_CLOEXEC) != 0 || write(secret[1], password.data(), password.size()) !=
                                             static_cast<ssize_t>(password.size())) {
      std::cerr << "runtime: cannot start " << m.spec.name
                << ": no pipe for its hub password: " << strerror(errno) << "\n";
      for (int fd : secret)
        if (fd >= 0) close(fd);
      m.status = ModuleStatus::Failed;
      m.exited_ms = now_ms();
      return;
    }
    close(secret[1]);
  }
  std::vector<std::string> env_strings;
  for (auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  // A container gets only what the runtime gives the module, not the
  // runtime's own environment, and the lane's state folder as its volume.
  if (m.spec.container) {
    std::vector<std::string> names;
    for (auto& [k, v] : own) names.push_back(k);
    m.command = container_run_command(settings_.container_engine, container_name(m.spec.name),
                                      *m.spec.container, names,
                                      {std::filesystem::absolute(state_.root).string()});
  }
  for (auto& s : m.command) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);

  int out[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0) out[0] = out[1] = -1;
  int log_fd = out[1];
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // The runtime blocks SIGINT/SIGTERM; a module must start with them open.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    setpgid(0, 0);
    if (log_fd >= 0) {
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
    }
    if (!unset_note.empty()) (void)!write(STDERR_FILENO, unset_note.data(), unset_note.size());
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    if (secret[0] >= 0) {
      if (secret[0] == 3)
        fcntl(3, F_SETFD, 0);
      else
        dup2(secret[0], 3);
    }
    if (sandbox && !sandbox->enter()) {
      const char msg[] = "checkout-edge: the kernel would not confine the module; not started\n";
      (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
      _exit(127);
    }
    execve(argv[0], argv.data(), envp.data());
    const char msg[] = "checkout-edge: cannot execute the module's program\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(127);
  }
  if (log_fd >= 0) close(log_fd);
  if (secret[0] >= 0) close(secret[0]);
  if (out[0] >= 0) {
    if (pid > 0)
      logs_->add(m.spec.name, out[0]);
    else
      close(out[0]);
  }
  if (pid < 0) {
    std::cerr << "runtime: cannot start " << m.spec.name << ": " << strerror(errno) << "\n";
    m.status = ModuleStatus::Failed;
    m.exited_ms = now_ms();
    return;
  }
  m.pid = pid;
  m.status = ModuleStatus::Running;
  m.started_ms = now_ms();
  m.last_heartbeat_ms = 0;
  m.killed_unhealthy = false;
  std::cerr << "runtime: started " << m.spec.name << " (pid " << pid << ")\n";
}

std::chrono::milliseconds Supervisor::backoff(int restarts) const {
  // IoT Edge's rule, min(base * 2^n, cap), with the base and cap configurable.
  auto delay = settings_.backoff_base;
  for (int i = 0; i < restarts && delay < settings_.backoff_cap; ++i) delay *= 2;
  return std::min(delay, settings_.backoff_cap);
}

void Supervisor::on_exit(ModuleProcess& m, int wait_status) {
  m.pid = 0;
  m.exited_ms = now_ms();
  m.exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  m.exit_signal = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
  bool failed = m.exit_signal != 0 || m.exit_code != 0 || m.killed_unhealthy;
  std::cerr << "runtime: " << m.spec.name << " exited ("
            << (m.exit_signal ? "signal " + std::to_string(m.exit_signal)
                              : "code " + std::to_string(m.exit_code))
            << ")\n";
  // A module that was up a while (not a crash loop) comes back at once: a
  // shopper may be waiting on it. Only a crash loop backs off.
  auto up_long_enough = std::min<long long>(settings_.healthy_after.count(), 5000);
  bool was_up = m.exited_ms - m.started_ms >= up_long_enough;
  if (was_up) m.restarts = 0;

  bool restart = false;
  switch (m.spec.restart_policy) {
    case RestartPolicy::Never:
      restart = false;
      break;
    case RestartPolicy::OnFailure:
    case RestartPolicy::OnUnhealthy:
      restart = failed;
      break;
    case RestartPolicy::Always:
      restart = true;
      break;
  }
  if (!restart) {
    m.status = failed ? ModuleStatus::Failed : ModuleStatus::Stopped;
    return;
  }
  if (m.restarts >= settings_.max_restarts) {
    std::cerr << "runtime: " << m.spec.name << " failed: " << m.restarts
              << " restarts without staying up\n";
    m.status = ModuleStatus::Failed;
    return;
  }
  m.status = ModuleStatus::Backoff;
  m.next_start_ms = m.exited_ms + (was_up ? 0 : backoff(m.restarts).count());
}

void Supervisor::tick() {
  // Its own children only: a child of another thread (the console's
  // `check`, run by popen) is that thread's to wait for.
  for (auto& m : modules_) {
    int ws;
    if (m.pid && waitpid(m.pid, &ws, WNOHANG) == m.pid) on_exit(m, ws);
  }
  std::map<std::string, long long> beats;
  {
    std::lock_guard lock(heartbeat_mutex_);
    beats.swap(heartbeats_);
  }
  long long now = now_ms();
  for (auto& m : modules_) {
    if (auto b = beats.find(m.spec.name); b != beats.end() && m.status == ModuleStatus::Running)
      m.last_heartbeat_ms = b->second;
    // A hung process still has a pid: only its silence tells. SIGKILL, as
    // SIGTERM may never be handled by a module that is stuck.
    if (m.status == ModuleStatus::Running && m.pid &&
        m.spec.restart_policy == RestartPolicy::OnUnhealthy &&
        !m.heartbeating(now, settings_.heartbeat_timeout)) {
      std::cerr << "runtime: " << m.spec.name << " sent no heartbeat for "
                << settings_.heartbeat_timeout.count() << " ms; restarting it (on-unhealthy)\n";
      m.killed_unhealthy = true;
      kill(m.pid, SIGKILL);
    }
  }
  for (auto& m : modules_) {
    if (m.status == ModuleStatus::Backoff && now >= m.next_start_ms) {
      ++m.restarts;
      start(m);
    }
  }
}

bool Supervisor::may_read(const std::string& name, const std::filesystem::path& path) const {
  const ModuleProcess* m = find(name);
  if (!m || !m->pid || !m->sandbox) return true;
  pid_t pid = fork();
  if (pid == 0) {
    if (!m->sandbox->enter()) _exit(2);
    _exit(open(path.c_str(), O_RDONLY | O_CLOEXEC) >= 0 ? 0 : 1);
  }
  if (pid < 0) return false;  // cannot tell: the restart is the safe side
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
}

std::chrono::milliseconds Supervisor::nothing_due_for(std::chrono::milliseconds longest) const {
  long long now = now_ms(), wait = longest.count();
  auto until = [&](long long at) { wait = std::clamp(at - now, 0LL, wait); };
  for (const auto& m : modules_) {
    if (m.status == ModuleStatus::Backoff) until(m.next_start_ms);
    if (m.status != ModuleStatus::Running) continue;
    if (m.last_heartbeat_ms == 0) until(now + 100);
    until(std::max(m.started_ms, m.last_heartbeat_ms) + settings_.heartbeat_timeout.count() + 1);
  }
  return std::chrono::milliseconds(wait);
}

void Supervisor::stop(ModuleProcess& m, std::chrono::milliseconds grace) {
  if (m.pid) {
    kill(m.pid, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    int ws = 0;
    while (waitpid(m.pid, &ws, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::cerr << "runtime: " << m.spec.name << " ignored SIGTERM; killing it\n";
        kill(m.pid, SIGKILL);
        waitpid(m.pid, &ws, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    m.exited_ms = now_ms();
    // Kept so that `list` shows a module that did not stop cleanly.
    m.exit_code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    m.exit_signal = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
  }
  m.pid = 0;
  m.status = ModuleStatus::Stopped;
}

void Supervisor::stop_all(std::chrono::milliseconds grace) {
  // Reverse startup order: the broker (first) goes last, so modules can
  // still flush what they were sending.
  for (auto it = modules_.rbegin(); it != modules_.rend(); ++it)
    if (it->pid) stop(*it, grace);
}

nlohmann::json Supervisor::snapshot() const {
  nlohmann::json out = nlohmann::json::array();
  for (auto& m : modules_) {
    out.push_back(
        {{"name", m.spec.name},
         {"version", m.spec.version},
         {"status", to_string(m.status)},
         {"desiredStatus", m.spec.running ? "running" : "stopped"},
         {"restartPolicy", to_string(m.spec.restart_policy)},
         {"pid", m.pid},
         {"startedMs", m.started_ms},
         {"exitedMs", m.exited_ms},
         {"exitCode", m.exit_code},
         {"exitSignal", m.exit_signal},
         {"restarts", m.restarts},
         {"nextStartMs", m.next_start_ms},
         {"health",
          m.status != ModuleStatus::Running ? ""
          : m.last_heartbeat_ms == 0
              ? (m.heartbeating(now_ms(), settings_.heartbeat_timeout) ? "starting" : "unhealthy")
          : m.heartbeating(now_ms(), settings_.heartbeat_timeout) ? "healthy"
                                                                  : "unhealthy"},
         {"killedUnhealthy", m.killed_unhealthy}});
  }
  return out;
}

std::string human_duration(long long ms) {
  long long s = std::max(0LL, ms / 1000);
  auto unit = [](long long n, const char* one) {
    return std::to_string(n) + " " + one + (n == 1 ? "" : "s");
  };
  if (s < 60) return unit(s, "second");
  if (s < 3600) return unit(s / 60, "minute");
  if (s < 86400) return unit(s / 3600, "hour");
  return unit(s / 86400, "day");
}

std::string describe_module(const nlohmann::json& m, long long now) {
  std::string status = m.value("status", "");
  auto exit_text = [&] {
    int sig = m.value("exitSignal", 0);
    return sig ? "signal " + std::to_string(sig) : "exit " + std::to_string(m.value("exitCode", 0));
  };
  if (status == "running") {
    std::string up = "Up " + human_duration(now - m.value("startedMs", now));
    return m.value("health", "") == "unhealthy" ? up + " (unhealthy)" : up;
  }
  if (status == "backoff") {
    long long left = std::max(0LL, m.value("nextStartMs", now) - now);
    return "Backoff, restart " + std::to_string(m.value("restarts", 0) + 1) + " in " +
           std::to_string((left + 999) / 1000) + " s";
  }
  if (status == "failed" && m.value("killedUnhealthy", false))
    return "Failed (no heartbeat) " + human_duration(now - m.value("exitedMs", now)) + " ago";
  if (status == "failed")
    return "Failed (" + exit_text() + ") " + human_duration(now - m.value("exitedMs", now)) +
           " ago";
  if (m.value("exitedMs", 0LL) == 0) return "Stopped";
  return "Stopped (" + exit_text() + ") " + human_duration(now - m.value("exitedMs", now)) + " ago";
}

}  // namespace ce
