#include "runtime/agent.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "common/self_command.h"
#include "common/stop_signal.h"
#include "hub/admin_auth.h"
#include "hub/hub_client.h"
#include "hub/method_call.h"
#include "hub/topics.h"
#include "runtime/broker.h"
#include "runtime/deployer.h"
#include "runtime/hub_identities.h"
#include "runtime/router.h"
#include "runtime/supervisor.h"
#include "runtime/upstream.h"

namespace ce {

std::string self_executable() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

namespace {

// Journals, receipts, logs and the admin key are the lane's alone: nothing
// is created readable by others (the modules inherit the mask), and what an
// earlier version left readable is closed.
void make_private(const std::filesystem::path& root) {
  umask(077);
  std::error_code ec;
  std::filesystem::permissions(
      root, std::filesystem::perms::group_all | std::filesystem::perms::others_all,
      std::filesystem::perm_options::remove, ec);
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (!it->is_symlink())
      std::filesystem::permissions(
          it->path(), std::filesystem::perms::group_all | std::filesystem::perms::others_all,
          std::filesystem::perm_options::remove, ec);
}

// One runtime per state folder: a second one would fight over the modules.
int take_lock(const StateDir& state) {
  int fd = open(state.lock_file().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0)
    throw std::runtime_error("another checkout-edge runtime is already running with state folder " +
                             state.root.string() +
                             "; stop it first, or pass a different --state-dir");
  return fd;
}

// A deployment applied but not yet proven: its new modules must run and
// heartbeat for deploy_stable before deploy_timeout, or it is rolled back.
struct PendingDeploy {
  Message request;
  nlohmann::json previous_manifest;
  Deployment previous;
  DeploymentChanges changes;
  std::vector<std::string> watch;
  long long deadline_ms = 0;
};

class Agent {
 public:
  Agent(nlohmann::json manifest, const AgentOptions& options)
      : options_(options), state_(options.state), manifest_(std::move(manifest)) {
    deployment_ = parse_manifest(manifest_);
  }

  int run();

 private:
  void write_state(bool running);
  // write_state for the lane's sake: a full disk must not stop the hub and
  // the modules. The failure is logged once, retried on the next write, and
  // `list` names it from agent.json's age.
  void try_write_state(bool running);
  // On `$edgeAgent/outputs/moduleStatus`, when a module's status changes.
  void publish_module_status();
  void handle(const std::string& method, const Message& request);
  // nullopt: the answer comes later (a deployment being checked).
  std::optional<MethodResult> answer(const std::string& method, const Message& request);
  void begin_deploy(const Message& request, const nlohmann::json& payload, Signer signer);
  void validate_desired(const Deployment& d) const;
  void check_pending_deploy();
  // The broker re-reads the logins and what each may publish.
  void reload_hub_files() {
    identities_->write_files();
    if (const ModuleProcess* broker = supervisor_->find("edgeHub"); broker && broker->pid > 0)
      kill(broker->pid, SIGHUP);
  }
  void save_manifest(const nlohmann::json& manifest, bool keep_previous);
  MethodResult update_desired(const nlohmann::json& request);

  const AgentOptions& options_;
  const StateDir& state_;
  nlohmann::json manifest_;  // what runs now, expanded
  Deployment deployment_;
  int port_ = 0;         // the hub's listener for the runtime and staff
  int module_port_ = 0;  // and for modules
  long long started_ms_ = now_ms();
  std::unique_ptr<Supervisor> supervisor_;
  std::unique_ptr<HubClient> hub_;
  std::unique_ptr<UpstreamForwarder> upstream_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<Deployer> deployer_;
  std::unique_ptr<AdminVerifier> admin_;
  std::unique_ptr<HubIdentities> identities_;
  std::atomic<bool> hub_reconnected_{false};
  nlohmann::json last_status_;
  std::mutex problems_mutex_;
  std::map<std::string, nlohmann::json> problems_;  // from the modules' reported twins
  bool status_published_connected_ = false;
  std::optional<PendingDeploy> pending_;
  std::string state_write_error_;

  std::mutex requests_mutex_;
  std::deque<std::pair<std::string, Message>> requests_;  // from the hub's thread
  // `check`, run for the staff console: the web module's sandbox keeps it
  // from the journals and files check reads, the runtime's does not.
  std::thread check_;
  std::atomic<bool> checking_{false};
};

void Agent::publish_module_status() {
  // One message with every module, retained at the inputs it is routed to,
  // so that a module that starts later (speech) knows the lane as it is.
  nlohmann::json modules = nlohmann::json::object();
  for (const auto& m : supervisor_->snapshot())
    modules[m.value("name", "")] = {{"status", m.value("status", "")},
                                    {"health", m.value("health", "")},
                                    {"restarts", m.value("restarts", 0)}};
  bool reconnected = hub_->connected() && !status_published_connected_;
  status_published_connected_ = hub_->connected();
  if (modules == last_status_ && !reconnected) return;
  Message status = Message::with_json({{"modules", modules}});
  status.properties["retain"] = "true";
  try {
    hub_->publish(topics::output(kAgentId, "moduleStatus"), status);
    last_status_ = std::move(modules);
  } catch (const std::exception& e) {
    std::cerr << "runtime: cannot publish the modules' status: " << e.what() << "\n";
  }
}

void Agent::write_state(bool running) {
  nlohmann::json j{{"pid", running ? getpid() : 0},
                   {"running", running},
                   {"startedMs", started_ms_},
                   {"updatedMs", now_ms()},
                   {"hubPort", port_},
                   {"moduleHubPort", module_port_},
                   {"hubCaFile", deployment_.runtime.hub_ca_file},
                   {"manifest", options_.manifest_source},
                   {"modules", supervisor_->snapshot()}};
  {
    // What a module reports it cannot do by itself, for `list` to show.
    std::lock_guard lock(problems_mutex_);
    for (auto& m : j["modules"])
      if (auto p = problems_.find(m.value("name", "")); p != problems_.end())
        m["problem"] = p->second;
  }
  if (router_) j["hub"] = {{"routed", router_->routed()}, {"unrouted", router_->unrouted()}};
  if (upstream_) j["upstream"] = upstream_->status();
  write_file_atomically(state_.status_dir() / "agent.json", j.dump(2));
}

void Agent::try_write_state(bool running) {
  try {
    write_state(running);
    if (!state_write_error_.empty())
      std::cerr << "runtime: its state is written again in " << state_.root << "\n";
    state_write_error_.clear();
  } catch (const std::exception& e) {
    if (state_write_error_ != e.what())
      std::cerr << "runtime: " << e.what()
                << "; the lane keeps running, and the runtime tries again every 2 s (free space "
                   "on that disk)\n";
    state_write_error_ = e.what();
  }
}

void Agent::save_manifest(const nlohmann::json& manifest, bool keep_previous) {
  std::error_code ec;
  if (keep_previous && std::filesystem::exists(state_.deployment_file()))
    std::filesystem::copy_file(state_.deployment_file(), state_.previous_deployment_file(),
                               std::filesystem::copy_options::overwrite_existing, ec);
  write_file_atomically(state_.deployment_file(), manifest.dump(2));
}

namespace {

// A request the runtime cannot carry out as sent: a 400 saying why.
struct BadRequest : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string module_id_field(const nlohmann::json& payload, const std::string& method) {
  auto id = payload.find("id");
  if (id == payload.end() || !id->is_string() || id->get<std::string>().empty())
    throw BadRequest(method + " needs {\"id\": \"MODULE\"} with the module's name as a string");
  return id->get<std::string>();
}

// Manifests are the largest requests; nothing else comes near this.
constexpr size_t kMaxRequestBytes = 1 << 20;

}  // namespace

void Agent::handle(const std::string& method, const Message& request) {
  auto reply = [&](const MethodResult& r) {
    try {
      // What the caller reads next (`list` after `restart`) must already
      // show what the method did.
      try_write_state(true);
      reply_to_method(*hub_, request, r);
    } catch (const std::exception& e) {
      std::cerr << "runtime: cannot answer " << method << ": " << e.what() << "\n";
    }
  };
  // Nothing a caller sends may stop the lane: every failure is an answer.
  try {
    if (auto r = answer(method, request)) reply(*r);
  } catch (const BadRequest& e) {
    reply({400, {{"error", e.what()}}});
  } catch (const std::exception& e) {
    std::cerr << "runtime: " << method << " failed: " << e.what() << "\n";
    reply(
        {500,
         {{"error", std::string("the runtime could not carry out ") + method + ": " + e.what()}}});
  }
}

std::optional<MethodResult> Agent::answer(const std::string& method, const Message& request) {
  if (request.body.size() > kMaxRequestBytes)
    throw BadRequest("the request is " + std::to_string(request.body.size()) +
                     " bytes; the runtime takes at most " + std::to_string(kMaxRequestBytes));
  nlohmann::json payload;
  try {
    payload = request.body.empty() ? nlohmann::json::object() : request.json();
  } catch (const std::exception& e) {
    throw BadRequest(std::string("the payload is not JSON: ") + e.what());
  }
  if (!payload.is_object())
    throw BadRequest("the payload must be a JSON object, e.g. {\"id\": \"checkout\"}; found " +
                     payload.dump().substr(0, 60));
  if (method == "ping")
    return MethodResult{200, {{"pid", getpid()}, {"uptimeMs", now_ms() - started_ms_}}};
  if (method == "restartModule") {
    std::string id = module_id_field(payload, method);
    if (!supervisor_->find(id))
      return MethodResult{404,
                          {{"error", "no module '" + id + "'; `checkout-edge list` shows them"}}};
    auto reason = payload.find("reason");
    std::string why =
        reason != payload.end() && reason->is_string() ? reason->get<std::string>() : "";
    std::cerr << "runtime: restarting " << id
              << (why.empty() ? " as asked" : ": " + why.substr(0, 200)) << "\n";
    supervisor_->restart(id);
    return MethodResult{200, {{"restarted", id}}};
  }
  if (method == "check") {
    if (checking_.exchange(true))
      return MethodResult{409, {{"error", "a check is running already; ask again when it ends"}}};
    if (check_.joinable()) check_.join();
    check_ = std::thread([this, request] {
      MethodResult r{500, {{"error", "`checkout-edge check` could not be run"}}};
      try {
        CommandResult out =
            run_self({"--state-dir", state_.root.string(), "check", "--output", "json"}, false, 60);
        auto checks = nlohmann::json::parse(out.output, nullptr, false);
        if (!checks.is_discarded())
          r = {200, {{"checks", checks}}};
        else
          r = {500,
               {{"error", "`checkout-edge check` printed no JSON: " + out.output.substr(0, 200)}}};
      } catch (const std::exception& e) {
        r = {500, {{"error", e.what()}}};
      }
      try {
        reply_to_method(*hub_, request, r);
      } catch (const std::exception& e) {
        std::cerr << "runtime: cannot answer check: " << e.what() << "\n";
      }
      checking_ = false;
    });
    return std::nullopt;
  }
  if (method == "updateDesired" || method == "deploy" || method == "getDeployment") {
    Signer signer = Signer::Administrator;
    if (std::string why = admin_->refuse(method, request, &signer); !why.empty())
      return MethodResult{403, {{"error", why}}};
    if (method == "updateDesired") return update_desired(payload);
    // What runs now, expanded: the staff console edits it into the next deployment.
    if (method == "getDeployment") return MethodResult{200, {{"manifest", manifest_}}};
    begin_deploy(request, payload, signer);
    return std::nullopt;  // answered once the deployment is proven or rolled back
  }
  return MethodResult{
      404,
      {{"error", "the runtime has no method '" + method.substr(0, 60) +
                     "'; it has: check, deploy, getDeployment, ping, restartModule, "
                     "updateDesired"}}};
}

MethodResult Agent::update_desired(const nlohmann::json& request) {
  std::string id = module_id_field(request, "updateDesired");
  auto patch = request.find("patch");
  if (patch == request.end() || !patch->is_object())
    return {400, {{"error", "updateDesired needs {\"id\": MODULE, \"patch\": {...}}"}}};
  if (pending_) return {409, {{"error", "a deployment is in progress; try again when it ends"}}};
  bool declared = false;
  for (auto& m : deployment_.modules) declared |= m.name == id;
  if (!declared)
    return {404, {{"error", "no module '" + id + "' in the deployment; `checkout-edge list`"}}};
  nlohmann::json candidate = manifest_;
  auto& section = candidate["modulesContent"][id];
  if (!section.is_object()) section = nlohmann::json::object();
  // Both spellings of the desired properties are accepted; patch the one in use.
  nlohmann::json* desired = nullptr;
  if (section.contains("properties") && section["properties"].contains("desired"))
    desired = &section["properties"]["desired"];
  else
    desired = &section["properties.desired"];
  if (!desired->is_object()) *desired = nlohmann::json::object();
  desired->merge_patch(*patch);
  Deployment next;
  try {
    next = parse_manifest(candidate);
    validate_desired(next);
  } catch (const std::exception& e) {
    return {400, {{"error", std::string(e.what()) + "; nothing was changed"}}};
  }
  deployer_->apply(deployment_, next);
  manifest_ = std::move(candidate);
  deployment_ = std::move(next);
  save_manifest(manifest_, true);
  for (auto& m : deployment_.modules)
    if (m.name == id) return {200, {{"desired", m.desired}}};
  return {200, nlohmann::json::object()};
}

// A built-in module's settings are checked as the module reads them, so a
// value it would refuse never reaches its twin or the saved deployment.
void Agent::validate_desired(const Deployment& d) const {
  if (!options_.validate_settings) return;
  for (const ModuleSpec& m : d.modules) {
    if (m.builtin.empty()) continue;
    try {
      options_.validate_settings(m.builtin, m.desired);
    } catch (const std::exception& e) {
      throw BadRequest("modulesContent." + m.name + ".properties.desired: " + e.what());
    }
  }
}

void Agent::begin_deploy(const Message& request, const nlohmann::json& payload, Signer signer) {
  auto reply = [&](MethodResult r) { reply_to_method(*hub_, request, r); };
  if (pending_)
    return reply(
        {409, {{"error", "another deployment is still being checked; wait for it to finish"}}});
  nlohmann::json manifest;
  Deployment next;
  try {
    auto m = payload.find("manifest");
    if (m == payload.end()) throw BadRequest("deploy needs {\"manifest\": {...}}");
    manifest = *m;
    next = parse_manifest(manifest);
    validate_desired(next);
  } catch (const std::exception& e) {
    return reply(
        {400, {{"error", std::string("the manifest is not valid, nothing changed: ") + e.what()}}});
  }
  // A console session (a browser, a stolen cookie) may not make the lane
  // run a program: that takes the key only the lane's user reads.
  if (std::string what = new_code_in(deployment_, next); signer == Signer::Console && !what.empty())
    return reply(
        {403,
         {{"error", "this deployment changes " + what +
                        ", which runs code: only the lane's administrator may deploy "
                        "that, with `checkout-edge deploy` on the lane; nothing changed"}}});
  std::cerr << "runtime: applying a new deployment\n";
  PendingDeploy p;
  p.request = request;
  p.previous = deployment_;
  p.previous_manifest = manifest_;
  p.changes = deployer_->apply(deployment_, next);
  for (auto& name : p.changes.started())
    for (auto& m : next.modules)
      if (m.name == name && m.running) p.watch.push_back(name);
  p.deadline_ms = now_ms() + next.runtime.deploy_timeout.count();
  manifest_ = std::move(manifest);
  deployment_ = std::move(next);
  pending_ = std::move(p);
  check_pending_deploy();
}

void Agent::check_pending_deploy() {
  if (!pending_) return;
  long long now = now_ms();
  std::string unhealthy;
  for (auto& name : pending_->watch) {
    const ModuleProcess* m = supervisor_->find(name);
    bool healthy = m && m->status == ModuleStatus::Running && m->last_heartbeat_ms > 0 &&
                   now - m->started_ms >= deployment_.runtime.deploy_stable.count();
    if (healthy) continue;
    std::string why =
        !m ? "it is gone"
        : m->status == ModuleStatus::Running
            ? (m->last_heartbeat_ms ? "it has not stayed up long enough" : "it sent no heartbeat")
            : std::string("it is ") + to_string(m->status) +
                  (m->exited_ms
                       ? (m->exit_signal ? " (signal " + std::to_string(m->exit_signal) + ")"
                                         : " (exit " + std::to_string(m->exit_code) + ")")
                       : "");
    unhealthy += (unhealthy.empty() ? "" : "; ") + name + ": " + why;
    // A module that gave up will not recover by waiting.
    if (m && m->status == ModuleStatus::Failed) now = pending_->deadline_ms;
  }
  if (unhealthy.empty()) {
    save_manifest(manifest_, true);
    nlohmann::json body = pending_->changes.to_json();
    body["applied"] = true;
    std::cerr << "runtime: deployment applied: " << body.dump() << "\n";
    reply_to_method(*hub_, pending_->request, {200, body});
    pending_.reset();
    return;
  }
  if (now < pending_->deadline_ms) return;
  std::cerr << "runtime: the new deployment did not become healthy (" << unhealthy
            << "); rolling back to the previous one\n";
  Deployment failed = deployment_;
  deployer_->apply(failed, pending_->previous);
  deployment_ = pending_->previous;
  manifest_ = pending_->previous_manifest;
  nlohmann::json body = pending_->changes.to_json();
  body["applied"] = false;
  body["rolledBack"] = true;
  body["error"] = "the new deployment did not become healthy within " +
                  std::to_string(failed.runtime.deploy_timeout.count() / 1000) + " s (" +
                  unhealthy + "); rolled back to the previous deployment, which is running again";
  reply_to_method(*hub_, pending_->request, {500, body});
  pending_.reset();
}

int Agent::run() {
  std::filesystem::create_directories(state_.root);
  make_private(state_.root);
  int lock_fd = take_lock(state_);
  // agent.json links into status/ (an earlier version kept the file itself).
  std::filesystem::create_directories(state_.status_dir());
  if (!std::filesystem::is_symlink(state_.agent_file())) {
    std::filesystem::remove(state_.agent_file());
    std::filesystem::create_symlink("status/agent.json", state_.agent_file());
  }
  const RuntimeSettings& rt = deployment_.runtime;

  port_ = rt.hub_port ? rt.hub_port : find_free_loopback_port();
  if (rt.hub_port && port_accepts_connections(port_))
    throw std::runtime_error("hub port " + std::to_string(port_) +
                             " is already in use; choose another runtime.settings.hubPort or 0");

  do module_port_ = find_free_loopback_port();
  while (module_port_ == port_);
  // The staff port too, for the web module's console (staff's actions log
  // in there with the admin key, which a module cannot read).
  std::map<std::string, std::string> env{{"CE_HUB_HOST", "127.0.0.1"},
                                         {"CE_HUB_PORT", std::to_string(module_port_)},
                                         {"CE_HUB_STAFF_PORT", std::to_string(port_)},
                                         {"CE_RUNTIME_STARTED_MS", std::to_string(started_ms_)}};
  supervisor_ = std::make_unique<Supervisor>(state_, rt, env);

  // The hub's logins exist before the hub: it reads them at start.
  std::string admin_key = create_admin_key(state_.admin_key_file());
  std::string console_key = create_admin_key(state_.console_key_file());
  admin_ = std::make_unique<AdminVerifier>(admin_key, console_key);
  identities_ = std::make_unique<HubIdentities>(state_, admin_key, console_key);
  for (const auto& m : deployment_.modules) identities_->module(m.name);
  identities_->set_routes(deployment_.routes);
  supervisor_->set_module_env([this](const std::string& name) {
    std::map<std::string, std::string> env;
    if (name == "edgeHub") return env;
    bool made = false;
    HubLogin login = identities_->module(name, &made);
    if (made) reload_hub_files();  // a module a deployment added
    env["CE_HUB_USERNAME"] = login.username;
    env["CE_HUB_PASSWORD"] = login.password;
    if (!deployment_.runtime.hub_ca_file.empty())
      env["CE_HUB_CA_FILE"] = deployment_.runtime.hub_ca_file;
    return env;
  });

  ModuleSpec hub_spec;
  hub_spec.name = "edgeHub";
  hub_spec.version = "mosquitto";
  hub_spec.restart_policy = RestartPolicy::Always;
  hub_spec.startup_order = -1;  // first up, last down
  hub_spec.lane_service = true;
  supervisor_->add(hub_spec,
                   prepare_broker(state_, port_, module_port_, *identities_, deployment_.runtime));
  auto listening = [&] {
    return port_accepts_connections(port_) && port_accepts_connections(module_port_);
  };
  for (int i = 0; i < 100 && !listening(); ++i) {
    supervisor_->tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!listening())
    throw std::runtime_error("the broker did not start on ports " + std::to_string(port_) +
                             " and " + std::to_string(module_port_) + "; see " +
                             state_.log_file("edgeHub").string());

  HubLogin runtime_login = identities_->runtime();
  runtime_login.ca_file = deployment_.runtime.hub_ca_file;
  hub_ = std::make_unique<HubClient>(kAgentId, "127.0.0.1", port_, runtime_login);
  hub_->connect();
  hub_->on_connected([this] {
    hub_reconnected_ = true;
    wake_waiting();
  });
  std::filesystem::create_directories(state_.hub_dir());
  upstream_ = std::make_unique<UpstreamForwarder>(state_.upstream_queue_file().string());
  upstream_->configure(deployment_.upstream);
  router_ = std::make_unique<Router>(*hub_, deployment_.routes,
                                     [this](const Message& m) { upstream_->send(m); });
  deployer_ =
      std::make_unique<Deployer>(*supervisor_, *hub_, *router_, *upstream_, options_.self_exe);
  deployer_->on_routes = [this](const std::vector<Route>& routes) {
    if (identities_->set_routes(routes)) reload_hub_files();
  };
  hub_->subscribe(topics::reported("+"), [this](const std::string& topic, const Message& m) {
    // $ce/twins/<module>/reported
    auto end = topic.rfind('/'), start = topic.rfind('/', end - 1);
    std::string module = topic.substr(start + 1, end - start - 1);
    try {
      auto j = m.json();
      auto p = j.is_object() ? j.find("problem") : j.end();
      std::lock_guard lock(problems_mutex_);
      if (p == j.end() || p->is_null())
        problems_.erase(module);
      else if (p->is_object() && p->dump().size() < 2000)
        problems_[module] = *p;
    } catch (const std::exception&) {
    }
  });
  hub_->subscribe(topics::all_heartbeats, [this](const std::string& topic, const Message&) {
    supervisor_->note_heartbeat(topic.substr(topic.rfind('/') + 1));
  });
  // Only the module itself may publish its restart request (the hub's ACL).
  hub_->subscribe(topics::all_restart_requests, [this](const std::string& topic, const Message& m) {
    std::string reason;
    try {
      reason = m.json().value("reason", "");
    } catch (const std::exception&) {
    }
    Message request = Message::with_json(
        {{"id", topic.substr(topic.rfind('/') + 1)}, {"reason", reason.substr(0, 200)}});
    std::lock_guard lock(requests_mutex_);
    requests_.emplace_back("restartModule", std::move(request));
    wake_waiting();
  });
  hub_->subscribe(topics::method(kAgentId, "+"),
                  [this](const std::string& topic, const Message& m) {
                    std::lock_guard lock(requests_mutex_);
                    requests_.emplace_back(topic.substr(topic.rfind('/') + 1), m);
                    wake_waiting();
                  });

  deployer_->apply(Deployment{rt, {}, {}, deployment_.upstream}, deployment_);
  save_manifest(manifest_, false);
  write_state(true);
  std::cerr << "runtime: hub on 127.0.0.1:" << port_ << ", " << deployment_.modules.size()
            << " modules, " << deployment_.routes.size() << " routes; state in " << state_.root
            << "\n";
  if (options_.on_ready) options_.on_ready(port_);

  // agent.json is rewritten when a module changes state, and every few
  // seconds for the hub's counters; `list` derives "Up 3 minutes" itself.
  std::string last_modules = supervisor_->snapshot().dump();
  long long last_write = now_ms();
  // A steady lane is looked at once a second, not ten times: a child's
  // exit, a method call, a restart request and the hub coming back wake
  // the loop, and what falls due (a restart after its backoff, a heartbeat
  // deadline) sets how long it sleeps. A deployment being checked is
  // watched every 100 ms, and so is everything on a thread the wakes do not
  // reach (the demo runs the runtime beside its own loop).
  const bool woken_when_needed = wakes_reach_this_thread();
  if (woken_when_needed) wake_waiting_when_a_child_exits();
  constexpr std::chrono::milliseconds kBusyTick{100}, kSteadyTick{1000};
  std::chrono::milliseconds sleep = kBusyTick;
  while (!wait_for_stop(sleep)) {
    // The broker sends no heartbeats of its own: it is healthy while it answers.
    if (hub_->connected()) supervisor_->note_heartbeat("edgeHub");
    supervisor_->tick();
    std::deque<std::pair<std::string, Message>> requests;
    {
      std::lock_guard lock(requests_mutex_);
      requests.swap(requests_);
    }
    for (auto& [method, request] : requests) handle(method, request);
    // A restarted broker lost the retained desired twins: a module that
    // starts now must still find its settings.
    if (hub_reconnected_.exchange(false)) {
      std::cerr << "runtime: the hub is back; publishing every module's desired properties again\n";
      for (const auto& m : deployment_.modules) deployer_->publish_desired(m);
    }
    check_pending_deploy();
    publish_module_status();
    std::string modules = supervisor_->snapshot().dump();
    if (modules != last_modules || now_ms() - last_write >= 2000) {
      try_write_state(true);
      last_modules = std::move(modules);
      last_write = now_ms();
    }
    sleep = woken_when_needed && !pending_ ? supervisor_->nothing_due_for(kSteadyTick) : kBusyTick;
  }
  std::cerr << "runtime: stopping modules\n";
  if (pending_)
    reply_to_method(*hub_, pending_->request,
                    {503, {{"error", "the runtime stopped before the deployment was checked"}}});
  if (check_.joinable()) check_.join();
  hub_->stop_dispatch();
  supervisor_->stop_all();
  router_.reset();
  try_write_state(false);
  upstream_.reset();
  close(lock_fd);
  return 0;
}

}  // namespace

int run_agent(const nlohmann::json& manifest, const AgentOptions& options) {
  Agent agent(manifest, options);
  return agent.run();
}

}  // namespace ce
