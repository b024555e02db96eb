#include "runtime/container.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "runtime/manifest.h"

namespace ce {

namespace {

[[noreturn]] void refuse(const std::string& path, const std::string& what) {
  throw ManifestError(path + ": " + what);
}

std::vector<std::string> strings(const nlohmann::json& obj, const char* key,
                                 const std::string& path) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (it->is_string()) return {it->get<std::string>()};  // Docker accepts "Cmd": "x"
  if (!it->is_array()) refuse(path + "." + key, "must be an array of strings");
  for (auto& v : *it) {
    if (!v.is_string()) refuse(path + "." + key, "must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

// What Docker's create body may say that the lane can honour. Anything else
// is named, so that a manifest meant for another host is not half-applied.
// LogConfig and RestartPolicy are accepted and left to the runtime, which
// keeps the module's log and restarts it by the manifest's restartPolicy.
const std::vector<std::string> known_top{"Cmd", "Entrypoint", "Env", "User", "HostConfig"};
const std::vector<std::string> known_host{"Binds",    "Devices",   "NetworkMode",
                                          "GroupAdd", "LogConfig", "RestartPolicy"};

void only_known(const nlohmann::json& obj, const std::vector<std::string>& known,
                const std::string& path, const std::string& hint) {
  for (auto& [key, value] : obj.items())
    if (std::find(known.begin(), known.end(), key) == known.end())
      refuse(path + "." + key, "this runtime does not carry '" + key + "' over to the engine (" +
                                   hint + "); remove it, or deploy with Azure IoT Edge");
}

}  // namespace

ContainerSpec parse_container(const nlohmann::json& settings, const std::string& path) {
  std::string sp = path + ".settings";
  ContainerSpec spec;
  auto image = settings.find("image");
  if (image == settings.end() || !image->is_string() || image->get<std::string>().empty())
    refuse(sp + ".image",
           "a container module needs its image, e.g. \"localhost/checkout-edge:0.1.0\"");
  spec.image = image->get<std::string>();

  nlohmann::json create = nlohmann::json::object();
  std::string cp = sp + ".createOptions";
  if (auto c = settings.find("createOptions"); c != settings.end()) {
    if (c->is_string()) {
      create = nlohmann::json::parse(c->get<std::string>(), nullptr, false);
      if (create.is_discarded())
        refuse(cp, "is a string but not JSON (Docker's container-create options)");
    } else {
      create = *c;
    }
    if (!create.is_object()) refuse(cp, "must be an object (Docker's container-create options)");
  }
  only_known(create, known_top, cp, "it knows Cmd, Entrypoint, Env, User and HostConfig");
  spec.cmd = strings(create, "Cmd", cp);
  spec.entrypoint = strings(create, "Entrypoint", cp);
  spec.env = strings(create, "Env", cp);
  for (auto& e : spec.env)
    if (e.find('=') == std::string::npos || e.front() == '=')
      refuse(cp + ".Env", "'" + e + "' is not NAME=value");
  if (auto u = create.find("User"); u != create.end()) {
    if (!u->is_string()) refuse(cp + ".User", "must be a string (user[:group])");
    spec.user = u->get<std::string>();
  }
  if (auto h = create.find("HostConfig"); h != create.end()) {
    std::string hp = cp + ".HostConfig";
    if (!h->is_object()) refuse(hp, "must be an object");
    only_known(*h, known_host, hp, "it knows Binds, Devices, NetworkMode host and GroupAdd");
    spec.binds = strings(*h, "Binds", hp);
    for (auto& b : spec.binds)
      if (b.empty() || b.front() != '/' || b.find(':') == std::string::npos)
        refuse(hp + ".Binds", "'" + b + "' is not /host/path:/container/path[:ro]");
    spec.group_add = strings(*h, "GroupAdd", hp);
    if (auto n = h->find("NetworkMode"); n != h->end() && *n != "host")
      refuse(hp + ".NetworkMode",
             "must be \"host\": the lane's hub listens on 127.0.0.1 only, so a module in a "
             "container shares the host's network to reach it");
    if (auto d = h->find("Devices"); d != h->end()) {
      if (!d->is_array()) refuse(hp + ".Devices", "must be an array of {PathOnHost, ...}");
      for (auto& dev : *d) {
        if (!dev.is_object() || !dev.value("PathOnHost", nlohmann::json()).is_string())
          refuse(hp + ".Devices", "each device needs PathOnHost (e.g. \"/dev/video0\")");
        std::string host = dev["PathOnHost"];
        std::string inside = dev.value("PathInContainer", host);
        std::string perms = dev.value("CgroupPermissions", "rwm");
        if (host.rfind("/dev/", 0) != 0)
          refuse(hp + ".Devices", "'" + host + "' is not a device under /dev");
        spec.devices.push_back(host + ":" + inside + ":" + perms);
      }
    }
  }
  return spec;
}

std::vector<std::string> container_run_command(const std::string& engine,
                                               const std::string& container_name,
                                               const ContainerSpec& spec,
                                               const std::vector<std::string>& env_names,
                                               const std::vector<std::string>& volumes) {
  std::string program = find_program(engine);
  std::vector<std::string> c{program.empty() ? engine : program,
                             "run",
                             "--rm",
                             "--name",
                             container_name,
                             "--network",
                             "host",
                             "--pull",
                             "never"};
  // A module killed with its engine (kill -9) leaves its container behind:
  // the next start takes its name over.
  if (std::filesystem::path(engine).filename() == "podman") c.push_back("--replace");
  std::string user = spec.user;
  if (user.empty()) user = std::to_string(getuid()) + ":" + std::to_string(getgid());
  c.insert(c.end(), {"--user", user});
  for (auto& g : spec.group_add) c.insert(c.end(), {"--group-add", g});
  for (auto& v : volumes) c.insert(c.end(), {"--volume", v + ":" + v});
  for (auto& b : spec.binds) c.insert(c.end(), {"--volume", b});
  for (auto& d : spec.devices) c.insert(c.end(), {"--device", d});
  for (auto& e : spec.env) c.insert(c.end(), {"--env", e});
  for (auto& n : env_names) c.insert(c.end(), {"--env", n});
  // The engines' --entrypoint takes one word; the entrypoint's others go before Cmd.
  if (!spec.entrypoint.empty()) c.insert(c.end(), {"--entrypoint", spec.entrypoint.front()});
  c.push_back(spec.image);
  if (spec.entrypoint.size() > 1)
    c.insert(c.end(), spec.entrypoint.begin() + 1, spec.entrypoint.end());
  c.insert(c.end(), spec.cmd.begin(), spec.cmd.end());
  return c;
}

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace ce
