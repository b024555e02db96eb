// A module in a container (`"type": "docker"`, as Azure IoT Edge deploys
// it), started by a container engine that exists (podman or docker) rather
// than by a container runtime of our own. The engine runs attached, so its
// process stands for the module: its exit, its log and the signals sent to it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ce {

// settings.image and settings.createOptions (Docker's container-create body,
// as an object or as the JSON string IoT Edge keeps), the part of it the
// runtime carries over to the engine.
struct ContainerSpec {
  std::string image;
  std::vector<std::string> entrypoint, cmd;
  std::vector<std::string> env;      // "NAME=value" from createOptions.Env
  std::vector<std::string> binds;    // "host:container[:ro]"
  std::vector<std::string> devices;  // "host:container:rwm"
  std::vector<std::string> group_add;
  std::string user;  // empty: the runtime's own user and group
  bool operator==(const ContainerSpec&) const = default;
};

// Throws ManifestError naming the field (`path` is the module's).
ContainerSpec parse_container(const nlohmann::json& settings, const std::string& path);

// The engine's command line. `env_names` are passed by name only (`-e NAME`):
// their values, the module's hub password among them, reach the engine
// through its environment and never appear on a command line. `volumes` are
// bound at the same path inside (the lane's state folder).
std::vector<std::string> container_run_command(const std::string& engine,
                                               const std::string& container_name,
                                               const ContainerSpec& spec,
                                               const std::vector<std::string>& env_names,
                                               const std::vector<std::string>& volumes);

// The engine's program: an absolute path, or found on PATH; empty if missing.
std::string find_program(const std::string& name);

}  // namespace ce
