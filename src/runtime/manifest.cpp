#include "runtime/manifest.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/json_file.h"

namespace ce {

const char* to_string(RestartPolicy p) {
  switch (p) {
    case RestartPolicy::Never:
      return "never";
    case RestartPolicy::OnFailure:
      return "on-failure";
    case RestartPolicy::OnUnhealthy:
      return "on-unhealthy";
    case RestartPolicy::Always:
      return "always";
  }
  return "?";
}

const std::vector<std::string>& builtin_modules() {
  static const std::vector<std::string> names{"camera",   "classifier", "scale",
                                              "checkout", "speech",     "keypad",
                                              "barcodes", "scanner",    "web"};
  return names;
}

namespace {

std::string show(const nlohmann::json& v) {
  std::string s = v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

[[noreturn]] void fail(const std::string& path, const std::string& expected,
                       const nlohmann::json* found) {
  throw ManifestError(path + ": expected " + expected + ", found " +
                      (found ? show(*found) : std::string("nothing")));
}

bool variable_char(char c, bool first) {
  return c == '_' || std::isalpha(static_cast<unsigned char>(c)) ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

// Where a string may take a value from the environment: the runtime's own
// sections always; a module's desired properties (its twin, which every
// hub client can read) only for the variables listed as not secret.
struct Expansion {
  const std::map<std::string, std::string>& variables;
  const std::set<std::string>& twin_variables;
  // In a module's env: a variable from the environment stays ${NAME}, and
  // the runtime reads it as it starts the module, so that the secret is
  // never written into the kept deployment, the console or an export.
  bool keep_environment = false;
};

// ${NAME} in a string, scanned by hand: a regex over a long value recursed
// once per character and overflowed the stack.
std::string expand_string(const std::string& s, const std::string& path, const Expansion& x,
                          bool in_twin) {
  std::string out;
  size_t last = 0;
  for (size_t at = s.find("${"); at != std::string::npos; at = s.find("${", at + 1)) {
    size_t end = at + 2;
    while (end < s.size() && variable_char(s[end], end == at + 2)) ++end;
    if (end == at + 2 || end >= s.size() || s[end] != '}') continue;  // not a ${NAME}
    std::string name = s.substr(at + 2, end - at - 2);
    out.append(s, last, at - last);
    if (auto f = x.variables.find(name); f != x.variables.end()) {
      out += f->second;
    } else if (x.keep_environment) {
      out += "${" + name + "}";
    } else if (const char* e = std::getenv(name.c_str())) {
      if (in_twin && !x.twin_variables.count(name))
        throw ManifestError(path + ": ${" + name +
                            "} would copy an environment variable into the module's desired "
                            "properties, which every hub client can read; if it is no secret, "
                            "list it in $edgeAgent runtime.settings.twinVariables");
      out += e;
    } else {
      throw ManifestError(path + ": variable ${" + name +
                          "} is not set; set it in the environment or remove it");
    }
    last = end + 1;
    at = end;
  }
  if (last == 0) return s;
  return out + s.substr(last);
}

void expand(nlohmann::json& v, const std::string& path, const Expansion& x, bool in_twin) {
  if (v.is_object()) {
    for (auto& [k, child] : v.items()) {
      std::string at = path.empty() ? k : path + "." + k;
      const std::string modules = "modulesContent.$edgeAgent.properties.desired.modules.";
      bool module_env = k == "env" && path.rfind(modules, 0) == 0 &&
                        path.find('.', modules.size()) == std::string::npos;
      if (module_env && !x.keep_environment) {
        Expansion kept = x;
        kept.keep_environment = true;
        expand(child, at, kept, in_twin);
      } else {
        expand(child, at, x, in_twin);
      }
    }
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i)
      expand(v[i], path + "[" + std::to_string(i) + "]", x, in_twin);
  } else if (v.is_string()) {
    v = expand_string(v.get<std::string>(), path, x, in_twin);
  }
}

// IoT Edge writes "properties.desired" as one key; accept the nested form too.
const nlohmann::json* desired_of(const nlohmann::json& section) {
  if (!section.is_object()) return nullptr;
  if (auto it = section.find("properties.desired"); it != section.end()) return &*it;
  if (auto p = section.find("properties"); p != section.end() && p->is_object())
    if (auto d = p->find("desired"); d != p->end()) return &*d;
  return nullptr;
}

const nlohmann::json& require_object(const nlohmann::json& parent, const std::string& key,
                                     const std::string& path) {
  auto it = parent.find(key);
  if (it == parent.end() || !it->is_object())
    fail(path.empty() ? key : path + "." + key, "an object", it == parent.end() ? nullptr : &*it);
  return *it;
}

std::string string_field(const nlohmann::json& obj, const std::string& key, const std::string& path,
                         const std::string& fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_string()) fail(path + "." + key, "a string", &*it);
  return it->get<std::string>();
}

long long number_field(const nlohmann::json& obj, const std::string& key, const std::string& path,
                       long long fallback, long long min) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_number_integer() || it->get<long long>() < min)
    fail(path + "." + key, "a whole number >= " + std::to_string(min), &*it);
  return it->get<long long>();
}

RuntimeSettings parse_runtime(const nlohmann::json& agent, const std::string& path) {
  RuntimeSettings rt;
  auto it = agent.find("runtime");
  if (it == agent.end()) return rt;
  if (!it->is_object()) fail(path + ".runtime", "an object", &*it);
  std::string type = string_field(*it, "type", path + ".runtime", "process");
  if (type != "process")
    fail(path + ".runtime.type", "\"process\" (this runtime starts its modules itself)",
         &(*it)["type"]);
  auto s = it->find("settings");
  if (s == it->end()) return rt;
  std::string sp = path + ".runtime.settings";
  if (!s->is_object()) fail(sp, "an object", &*s);
  rt.hub_port = static_cast<int>(number_field(*s, "hubPort", sp, 0, 0));
  if (rt.hub_port > 65535)
    fail(sp + ".hubPort", "a TCP port (0 for any free one)", &(*s)["hubPort"]);
  rt.backoff_base =
      std::chrono::milliseconds(number_field(*s, "restartBackoffBaseMs", sp, 10000, 0));
  rt.backoff_cap =
      std::chrono::milliseconds(number_field(*s, "restartBackoffMaxMs", sp, 300000, 0));
  rt.healthy_after = std::chrono::milliseconds(number_field(*s, "healthyAfterMs", sp, 60000, 0));
  rt.max_restarts = static_cast<int>(number_field(*s, "maxRestarts", sp, 10, 0));
  auto ms = [&](const char* key, std::chrono::milliseconds fallback, long long min) {
    return std::chrono::milliseconds(number_field(*s, key, sp, fallback.count(), min));
  };
  rt.heartbeat_interval = ms("heartbeatIntervalMs", rt.heartbeat_interval, 50);
  rt.heartbeat_timeout = ms("heartbeatTimeoutMs", rt.heartbeat_timeout, 100);
  if (rt.heartbeat_timeout <= rt.heartbeat_interval)
    fail(sp + ".heartbeatTimeoutMs",
         "more than heartbeatIntervalMs (" + std::to_string(rt.heartbeat_interval.count()) + ")",
         &(*s)["heartbeatTimeoutMs"]);
  rt.deploy_timeout = ms("deployTimeoutMs", rt.deploy_timeout, 100);
  rt.deploy_stable = ms("deployStableMs", rt.deploy_stable, 0);
  rt.log_max_bytes = number_field(*s, "logMaxBytes", sp, rt.log_max_bytes, 1024);
  rt.log_files = static_cast<int>(number_field(*s, "logFiles", sp, rt.log_files, 1));
  rt.container_engine = string_field(*s, "containerEngine", sp, rt.container_engine);
  if (rt.container_engine.empty())
    fail(sp + ".containerEngine", "podman, docker or the engine's path", &(*s)["containerEngine"]);
  if (auto i = s->find("isolateModules"); i != s->end()) {
    if (!i->is_boolean()) fail(sp + ".isolateModules", "true or false", &*i);
    rt.isolate_modules = i->get<bool>();
  }
  if (auto t = s->find("hubTls"); t != s->end()) {
    std::string tp = sp + ".hubTls";
    if (!t->is_object()) fail(tp, "an object {\"caFile\", \"certFile\", \"keyFile\"}", &*t);
    rt.hub_ca_file = string_field(*t, "caFile", tp, "");
    rt.hub_cert_file = string_field(*t, "certFile", tp, "");
    rt.hub_key_file = string_field(*t, "keyFile", tp, "");
    for (auto [key, value] : {std::pair{"caFile", &rt.hub_ca_file},
                              {"certFile", &rt.hub_cert_file},
                              {"keyFile", &rt.hub_key_file}})
      if (value->empty())
        fail(tp + "." + key, "a PEM file (the hub's CA, its certificate and its key)", nullptr);
  }
  return rt;
}

ModuleSpec parse_module(const std::string& name, const nlohmann::json& m, const std::string& path) {
  auto name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  };
  if (name.empty() || name.size() > 64 || name[0] == '_' || name[0] == '-' ||
      !std::all_of(name.begin(), name.end(), name_char))
    throw ManifestError(
        path + ": module name '" + name +
        "' must be 1 to 64 letters, digits, '-' or '_' (it becomes a topic and a file name)");
  if (name == "edgeHub" || name == "edgeAgent")
    throw ManifestError(path + ": '" + name +
                        "' is the runtime's own name; give the module another one");
  if (!m.is_object()) fail(path, "an object describing the module", &m);
  ModuleSpec spec;
  spec.name = name;
  spec.definition = m;
  std::string type = string_field(m, "type", path, "");
  if (type != "process" && type != "docker")
    fail(path + ".type", "\"process\" or \"docker\" (a container)",
         m.contains("type") ? &m["type"] : nullptr);

  spec.version = string_field(m, "version", path, "1.0");
  std::string status = string_field(m, "status", path, "running");
  if (status != "running" && status != "stopped")
    fail(path + ".status", "\"running\" or \"stopped\"", &m["status"]);
  spec.running = status == "running";

  std::string policy = string_field(m, "restartPolicy", path, "always");
  static const std::map<std::string, RestartPolicy> policies{
      {"never", RestartPolicy::Never},
      {"on-failure", RestartPolicy::OnFailure},
      {"on-unhealthy", RestartPolicy::OnUnhealthy},
      {"always", RestartPolicy::Always}};
  auto p = policies.find(policy);
  if (p == policies.end())
    fail(path + ".restartPolicy", "one of never, on-failure, on-unhealthy, always",
         &m["restartPolicy"]);
  spec.restart_policy = p->second;
  spec.startup_order = static_cast<int>(number_field(m, "startupOrder", path, 0, 0));

  if (auto env = m.find("env"); env != m.end()) {
    if (!env->is_object()) fail(path + ".env", "an object of NAME: {\"value\": ...}", &*env);
    for (auto& [k, v] : env->items()) {
      const nlohmann::json* value = &v;
      if (v.is_object()) {
        auto vi = v.find("value");
        if (vi == v.end()) fail(path + ".env." + k, "{\"value\": ...}", &v);
        value = &*vi;
      }
      if (value->is_string())
        spec.env[k] = value->get<std::string>();
      else if (value->is_number() || value->is_boolean())
        spec.env[k] = value->dump();
      else
        fail(path + ".env." + k, "a string, number or boolean value", value);
    }
  }

  const nlohmann::json& settings = require_object(m, "settings", path);
  std::string sp = path + ".settings";
  if (type == "docker") {
    spec.container = parse_container(settings, path);
    // Our own image runs `checkout-edge module NAME`: its settings are checked as the module's.
    const auto& known = builtin_modules();
    if (spec.container->cmd.size() == 1 &&
        std::find(known.begin(), known.end(), spec.container->cmd[0]) != known.end())
      spec.builtin = spec.container->cmd[0];
    return spec;
  }
  if (auto c = settings.find("command"); c != settings.end()) {
    if (!c->is_array() || c->empty() ||
        !std::all_of(c->begin(), c->end(), [](auto& x) { return x.is_string(); }))
      fail(sp + ".command", "a non-empty array of strings (program, arguments...)", &*c);
    for (auto& x : *c) spec.command.push_back(x.get<std::string>());
  } else {
    spec.builtin = string_field(settings, "module", sp, "");
    const auto& known = builtin_modules();
    if (std::find(known.begin(), known.end(), spec.builtin) == known.end()) {
      std::string list;
      for (auto& k : known) list += (list.empty() ? "" : ", ") + k;
      fail(sp + ".module", "a built-in module (" + list + ") or settings.command",
           settings.contains("module") ? &settings["module"] : nullptr);
    }
  }
  return spec;
}

// A manifest written for IoT Edge's own agent (its runtime is Docker's, with
// system modules and registry credentials) is deployed with IoT Edge; say so
// before its ${VAR}s, whose credentials are not ours to need.
void refuse_iotedge_agent_manifest(const nlohmann::json& original) {
  if (!original.is_object() || !original.contains("modulesContent") ||
      !original["modulesContent"].is_object())
    return;
  const auto& content = original["modulesContent"];
  auto a = content.find("$edgeAgent");
  if (a == content.end()) return;
  const nlohmann::json* desired = desired_of(*a);
  if (!desired || !desired->is_object()) return;
  const auto runtime = desired->value("runtime", nlohmann::json::object());
  bool docker_runtime = runtime.is_object() && runtime.value("type", "") == "docker";
  if (!docker_runtime && !desired->contains("systemModules")) return;
  throw ManifestError(
      "modulesContent.$edgeAgent.properties.desired: this is a manifest for Azure IoT Edge's "
      "own agent (runtime type docker, systemModules edgeAgent/edgeHub); deploy it with IoT "
      "Edge (az iot edge set-modules --content FILE). `checkout-edge run` takes the lane's "
      "manifest (runtime type \"process\"), whose modules are \"type\": \"process\" or "
      "\"type\": \"docker\" with settings.image; `checkout-edge export iotedge` turns it into "
      "IoT Edge's");
}

UpstreamSettings parse_upstream(const nlohmann::json& hub, const std::string& hpath) {
  UpstreamSettings up;
  if (auto sf = hub.find("storeAndForwardConfiguration"); sf != hub.end()) {
    if (!sf->is_object()) fail(hpath + ".storeAndForwardConfiguration", "an object", &*sf);
    up.time_to_live_secs =
        number_field(*sf, "timeToLiveSecs", hpath + ".storeAndForwardConfiguration", 7200, 1);
  }
  auto u = hub.find("upstream");
  if (u == hub.end()) return up;
  std::string upath = hpath + ".upstream";
  if (!u->is_object()) fail(upath, "an object {\"host\": ..., \"port\": ...}", &*u);
  for (const char* secret : {"password", "key", "sasKey", "connectionString"})
    if (u->contains(secret))
      throw ManifestError(upath + "." + secret +
                          ": secrets do not belong in a manifest (it is copied to every lane and "
                          "into logs); put the password in an environment variable and name it "
                          "in passwordEnv");
  up.host = string_field(*u, "host", upath, "");
  if (up.host.empty()) fail(upath + ".host", "the upstream broker's host name", nullptr);
  up.port = static_cast<int>(number_field(*u, "port", upath, 1883, 1));
  if (up.port > 65535) fail(upath + ".port", "a TCP port", &(*u)["port"]);
  char host[256] = "checkout-edge";
  gethostname(host, sizeof host - 1);
  up.client_id = string_field(*u, "clientId", upath, host);
  up.store = string_field(*u, "store", upath, "store");
  // Both name an MQTT topic level: no separators or wildcards in them.
  for (auto [key, value] : {std::pair{"clientId", &up.client_id}, {"store", &up.store}})
    if (value->empty() || value->find_first_of("/+#") != std::string::npos)
      fail(upath + "." + key, "a name without '/', '+' or '#' (it is a topic level)",
           u->contains(key) ? &(*u)[key] : nullptr);
  up.topic = string_field(*u, "topic", upath, "lanes/" + up.store + "/" + up.client_id);
  if (up.topic.empty() || up.topic.find_first_of("+#") != std::string::npos)
    fail(upath + ".topic", "a topic without wildcards", &(*u)["topic"]);
  up.username = string_field(*u, "username", upath, "");
  up.password_env = string_field(*u, "passwordEnv", upath, "");
  if (auto t = u->find("tls"); t != u->end()) {
    if (!t->is_object()) fail(upath + ".tls", "an object {\"caFile\": ...}", &*t);
    up.tls = true;
    up.ca_file = string_field(*t, "caFile", upath + ".tls", "");
    up.cert_file = string_field(*t, "certFile", upath + ".tls", "");
    up.key_file = string_field(*t, "keyFile", upath + ".tls", "");
    if (up.ca_file.empty()) fail(upath + ".tls.caFile", "the CA certificate file", nullptr);
    if (up.cert_file.empty() != up.key_file.empty())
      fail(upath + ".tls", "both certFile and keyFile, or neither", &*t);
  }
  return up;
}

}  // namespace

nlohmann::json expand_manifest(const nlohmann::json& manifest,
                               const std::map<std::string, std::string>& variables) {
  nlohmann::json out = manifest;
  if (!out.is_object() || !out.contains("modulesContent") || !out["modulesContent"].is_object()) {
    std::set<std::string> none;
    expand(out, "", {variables, none}, false);
    return out;
  }
  std::set<std::string> twin_variables;
  // Kept by name: desired_of points into it (a temporary here was read
  // after it was freed; the sanitized unit tests found it).
  const nlohmann::json edge_agent =
      out["modulesContent"].value("$edgeAgent", nlohmann::json::object());
  if (const nlohmann::json* agent = desired_of(edge_agent))
    if (auto list = agent->find("runtime"); list != agent->end() && list->is_object())
      if (auto s = list->find("settings"); s != list->end() && s->is_object())
        if (auto t = s->find("twinVariables"); t != s->end()) {
          if (!t->is_array() ||
              !std::all_of(t->begin(), t->end(), [](auto& n) { return n.is_string(); }))
            fail("modulesContent.$edgeAgent.properties.desired.runtime.settings.twinVariables",
                 "an array of environment variable names", &*t);
          for (auto& n : *t) twin_variables.insert(n.get<std::string>());
        }
  Expansion x{variables, twin_variables};
  for (auto& [name, section] : out["modulesContent"].items()) {
    bool twin = name != "$edgeAgent" && name != "$edgeHub";
    expand(section, "modulesContent." + name, x, twin);
  }
  return out;
}

bool same_process(const ModuleSpec& a, const ModuleSpec& b) { return a.definition == b.definition; }

std::string new_code_in(const Deployment& from, const Deployment& to) {
  const RuntimeSettings &a = from.runtime, &b = to.runtime;
  if (a.container_engine != b.container_engine) return "runtime.settings.containerEngine";
  if (a.isolate_modules != b.isolate_modules) return "runtime.settings.isolateModules";
  if (a.hub_ca_file != b.hub_ca_file || a.hub_cert_file != b.hub_cert_file ||
      a.hub_key_file != b.hub_key_file)
    return "runtime.settings.hubTls";
  for (const ModuleSpec& m : to.modules) {
    const ModuleSpec* old = nullptr;
    for (const ModuleSpec& o : from.modules)
      if (o.name == m.name) old = &o;
    if (old && same_process(*old, m)) continue;
    if (m.builtin.empty() || !m.command.empty()) return "modules." + m.name + ".settings.command";
    if (m.container) return "modules." + m.name + ".settings.image";
    if (!m.env.empty() && (!old || old->env != m.env)) return "modules." + m.name + ".env";
  }
  return "";
}

Deployment parse_manifest(const nlohmann::json& original,
                          const std::map<std::string, std::string>& variables) {
  refuse_iotedge_agent_manifest(original);
  return parse_manifest(expand_manifest(original, variables));
}

Deployment parse_manifest(const nlohmann::json& manifest) {
  refuse_iotedge_agent_manifest(manifest);
  if (!manifest.is_object()) fail("the top level", "a JSON object", &manifest);
  const auto& content = require_object(manifest, "modulesContent", "");
  const std::string cpath = "modulesContent";

  auto agent_it = content.find("$edgeAgent");
  if (agent_it == content.end()) fail(cpath + ".$edgeAgent", "an object", nullptr);
  const nlohmann::json* agent = desired_of(*agent_it);
  std::string apath = cpath + ".$edgeAgent.properties.desired";
  if (!agent || !agent->is_object()) fail(apath, "an object", agent);

  Deployment d;
  d.runtime = parse_runtime(*agent, apath);
  const auto& modules = require_object(*agent, "modules", apath);
  if (modules.empty()) fail(apath + ".modules", "at least one module", &modules);
  for (auto& [name, m] : modules.items()) {
    ModuleSpec spec = parse_module(name, m, apath + ".modules." + name);
    if (auto section = content.find(name); section != content.end()) {
      const nlohmann::json* desired = desired_of(*section);
      if (!desired || !desired->is_object())
        fail(cpath + "." + name + ".properties.desired", "an object", desired);
      spec.desired = *desired;
    }
    d.modules.push_back(std::move(spec));
  }
  for (auto& [name, _] : content.items()) {
    if (name == "$edgeAgent" || name == "$edgeHub") continue;
    if (!modules.contains(name))
      throw ManifestError(cpath + "." + name + ": settings for a module that " + apath +
                          ".modules does not declare; add the module or remove the settings");
  }
  std::stable_sort(d.modules.begin(), d.modules.end(),
                   [](auto& a, auto& b) { return a.startup_order < b.startup_order; });

  if (auto hub_it = content.find("$edgeHub"); hub_it != content.end()) {
    const nlohmann::json* hub = desired_of(*hub_it);
    std::string hpath = cpath + ".$edgeHub.properties.desired";
    if (!hub || !hub->is_object()) fail(hpath, "an object", hub);
    d.upstream = parse_upstream(*hub, hpath);
    if (auto routes = hub->find("routes"); routes != hub->end()) {
      if (!routes->is_object()) fail(hpath + ".routes", "an object of name: route", &*routes);
      for (auto& [name, r] : routes->items()) {
        std::string rpath = hpath + ".routes." + name;
        const nlohmann::json* text = &r;
        if (r.is_object()) {  // schema 1.1: {"route": "...", "priority": 0, ...}
          auto t = r.find("route");
          if (t == r.end()) fail(rpath + ".route", "the route text", nullptr);
          text = &*t;
          rpath += ".route";
        }
        if (!text->is_string()) fail(rpath, "a route \"FROM ... INTO ...\"", text);
        Route route;
        try {
          route = parse_route(name, text->get<std::string>());
        } catch (const RouteError& e) {
          throw ManifestError(rpath + ": " + e.what());
        }
        auto declared = [&](const std::string& m) { return modules.contains(m); };
        // The runtime's own outputs ("moduleStatus") come from $edgeAgent.
        if (route.from_module != "*" && route.from_module != "$edgeAgent" &&
            !declared(route.from_module))
          throw ManifestError(rpath + ": FROM names module '" + route.from_module +
                              "', which is not in " + apath + ".modules");
        if (!route.to_upstream && !declared(route.to_module))
          throw ManifestError(rpath + ": INTO names module '" + route.to_module +
                              "', which is not in " + apath + ".modules");
        d.routes.push_back(std::move(route));
      }
    }
  }
  return d;
}

nlohmann::json read_manifest_file(const std::string& path,
                                  std::map<std::string, std::string> variables) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ManifestError(path + ": cannot open the manifest file: " + strerror(errno));
  std::string text{std::istreambuf_iterator<char>(in), {}};
  nlohmann::json j;
  try {
    j = parse_json_text(text, path);
  } catch (const JsonError& e) {
    throw ManifestError(e.what());
  }
  try {
    refuse_iotedge_agent_manifest(j);
  } catch (const ManifestError& e) {
    throw ManifestError(path + ": " + e.what());
  }
  variables.emplace("MANIFEST_DIR",
                    std::filesystem::absolute(path).parent_path().lexically_normal().string());
  try {
    return expand_manifest(j, variables);
  } catch (const ManifestError& e) {
    throw ManifestError(path + ": " + e.what());
  }
}

Deployment load_manifest(const std::string& path, std::map<std::string, std::string> variables) {
  nlohmann::json j = read_manifest_file(path, std::move(variables));
  try {
    return parse_manifest(j);
  } catch (const ManifestError& e) {
    throw ManifestError(path + ": " + e.what());
  }
}

}  // namespace ce
