// `export iotedge`: the lane's manifest as an Azure IoT Edge deployment
// (schemaVersion 1.1): every module a Docker container of the lane's one
// image, its twin as desired properties, the routes for edgeHub.
#include <fstream>
#include <iostream>
#include <set>

#include "cli/commands.h"
#include "common/files.h"
#include "runtime/manifest.h"

namespace ce {

namespace {

// Inside the image the lane lives where the package puts it.
const char* const state_in_image = "/var/lib/checkout-edge";
const char* const config_in_image = "/etc/checkout-edge";

// What each built-in module opens on the host, from its desired properties,
// and the group that may open it.
struct Device {
  std::string path, group;
};

std::vector<Device> devices_of(const std::string& builtin, const nlohmann::json& desired) {
  auto dev = [&](const char* key) {
    auto it = desired.find(key);
    return it != desired.end() && it->is_string() && it->get<std::string>().rfind("/dev/", 0) == 0
               ? it->get<std::string>()
               : std::string();
  };
  if (builtin == "camera" && !dev("source").empty()) return {{dev("source"), "video"}};
  if (builtin == "scale" && !dev("device").empty()) {
    bool hid = dev("device").find("hidraw") != std::string::npos ||
               desired.value("driver", "") == "hid-pos";
    return {{dev("device"), hid ? "checkout-edge" : "dialout"}};
  }
  if (builtin == "keypad" && !dev("device").empty()) return {{dev("device"), "input"}};
  if (builtin == "scanner" && !dev("device").empty())
    return {{dev("device"), dev("device").rfind("/dev/input/", 0) == 0 ? "input" : "dialout"}};
  if (builtin == "speech") return {{"/dev/snd", "audio"}};
  return {};
}

// IoT Hub keeps a twin's strings to 512 characters: IoT Edge joins
// createOptions, createOptions01, ... back into one.
void put_create_options(nlohmann::json& settings, const std::string& json) {
  const size_t piece = 512;
  for (size_t i = 0, n = 0; i < json.size() || n == 0; i += piece, ++n) {
    char key[32];
    snprintf(key, sizeof key, n == 0 ? "createOptions" : "createOptions%02zu", n);
    settings[key] = json.substr(i, piece);
  }
}

nlohmann::json module_entry(const ModuleSpec& m, const ExportOptions& options,
                            const std::string& image) {
  nlohmann::json entry{{"version", m.version},
                       {"type", "docker"},
                       {"status", m.running ? "running" : "stopped"},
                       {"restartPolicy", to_string(m.restart_policy)},
                       {"startupOrder", m.startup_order}};
  if (!m.env.empty()) {
    nlohmann::json env = nlohmann::json::object();
    for (auto& [k, v] : m.env) env[k] = {{"value", v}};
    entry["env"] = env;
  }
  nlohmann::json settings;
  if (m.container) {  // already a container: its own image and options
    const ContainerSpec& c = *m.container;
    settings["image"] = c.image;
    nlohmann::json create = nlohmann::json::object();
    if (!c.cmd.empty()) create["Cmd"] = c.cmd;
    if (!c.entrypoint.empty()) create["Entrypoint"] = c.entrypoint;
    if (!c.env.empty()) create["Env"] = c.env;
    if (!c.user.empty()) create["User"] = c.user;
    nlohmann::json host = nlohmann::json::object();
    if (!c.binds.empty()) host["Binds"] = c.binds;
    if (!c.group_add.empty()) host["GroupAdd"] = c.group_add;
    if (!c.devices.empty()) {
      host["Devices"] = nlohmann::json::array();
      for (auto& d : c.devices) {
        auto a = d.find(':'), b = d.rfind(':');
        host["Devices"].push_back({{"PathOnHost", d.substr(0, a)},
                                   {"PathInContainer", d.substr(a + 1, b - a - 1)},
                                   {"CgroupPermissions", d.substr(b + 1)}});
      }
    }
    host["NetworkMode"] = "host";
    create["HostConfig"] = host;
    put_create_options(settings, create.dump());
    entry["settings"] = settings;
    return entry;
  }
  settings["image"] = image;
  nlohmann::json host{{"Binds",
                       {std::string(state_in_image) + ":" + state_in_image,
                        std::string(config_in_image) + ":" + config_in_image + ":ro"}},
                      // The lane's hub is on the host's loopback (see README: IoT Edge).
                      {"NetworkMode", "host"}};
  for (auto& b : options.binds) host["Binds"].push_back(b);
  auto devices = devices_of(m.builtin, m.desired);
  if (!devices.empty()) {
    host["Devices"] = nlohmann::json::array();
    host["GroupAdd"] = nlohmann::json::array();
    for (auto& d : devices) {
      host["Devices"].push_back(
          {{"PathOnHost", d.path}, {"PathInContainer", d.path}, {"CgroupPermissions", "rwm"}});
      host["GroupAdd"].push_back(d.group);
    }
  }
  put_create_options(settings, nlohmann::json{{"Cmd", {m.builtin}}, {"HostConfig", host}}.dump());
  entry["settings"] = settings;
  return entry;
}

}  // namespace

nlohmann::json iotedge_deployment(const nlohmann::json& lane_manifest, const ExportOptions& options,
                                  std::vector<std::string>* warnings) {
  Deployment d = parse_manifest(lane_manifest);
  if (options.registry.empty() || options.registry.find_first_of(" \t") != std::string::npos ||
      options.registry.front() == '/')
    throw std::runtime_error(
        "--registry needs the container registry's address, e.g. myregistry.azurecr.io");
  std::string image = options.registry + "/checkout-edge:" + options.tag;
  // The credentials' name in the manifest: the registry's first label.
  std::string cred = options.registry.substr(0, options.registry.find_first_of(".:"));

  nlohmann::json modules = nlohmann::json::object();
  nlohmann::json content = nlohmann::json::object();
  for (auto& m : d.modules) {
    if (!m.container && m.builtin.empty())
      throw std::runtime_error(
          "module '" + m.name +
          "' runs its own program (settings.command); IoT Edge runs containers: give it "
          "\"type\": \"docker\" with settings.image, then export again");
    modules[m.name] = module_entry(m, options, image);
    content[m.name] = {{"properties.desired", m.desired}};
  }

  // The routes as written (IoT Edge's own syntax), less what only this
  // runtime sends: IoT Edge's agent has no moduleStatus output.
  nlohmann::json routes = nlohmann::json::object();
  const auto& hub = lane_manifest["modulesContent"]["$edgeHub"]["properties.desired"];
  const nlohmann::json lane_routes = hub.value("routes", nlohmann::json::object());
  for (auto& [name, r] : lane_routes.items()) {
    std::string text = r.is_string() ? r.get<std::string>() : r.value("route", "");
    if (text.find("/messages/modules/$edgeAgent/") != std::string::npos) {
      if (warnings)
        warnings->push_back("route '" + name +
                            "' is left out: it takes the runtime's moduleStatus, which IoT "
                            "Edge's agent does not send (its module twin reports the same)");
      continue;
    }
    routes[name] = r;
  }
  if (warnings && hub.contains("upstream"))
    warnings->push_back(
        "$edgeHub.upstream is left out: under IoT Edge, $upstream is the IoT hub the device is "
        "registered with");

  std::string user = "${" + options.credentials_env + "_USERNAME}";
  std::string password = "${" + options.credentials_env + "_PASSWORD}";
  nlohmann::json agent{
      {"schemaVersion", "1.1"},
      {"runtime",
       {{"type", "docker"},
        {"settings",
         {{"minDockerVersion", "v1.25"},
          {"loggingOptions", ""},
          {"registryCredentials",
           {{cred,
             {{"username", user}, {"password", password}, {"address", options.registry}}}}}}}}},
      {"systemModules",
       {{"edgeAgent",
         {{"type", "docker"},
          {"settings",
           {{"image", "mcr.microsoft.com/azureiotedge-agent:" + options.iotedge_version},
            {"createOptions", "{}"}}}}},
        {"edgeHub",
         {{"type", "docker"},
          {"status", "running"},
          {"restartPolicy", "always"},
          {"startupOrder", 0},
          {"settings",
           {{"image", "mcr.microsoft.com/azureiotedge-hub:" + options.iotedge_version},
            {"createOptions", nlohmann::json{{"HostConfig",
                                              {{"PortBindings",
                                                {{"5671/tcp", {{{"HostPort", "5671"}}}},
                                                 {"8883/tcp", {{{"HostPort", "8883"}}}},
                                                 {"443/tcp", {{{"HostPort", "443"}}}}}}}}}
                                  .dump()}}}}}}},
      {"modules", modules}};
  nlohmann::json edge_hub{
      {"schemaVersion", "1.1"},
      {"routes", routes},
      {"storeAndForwardConfiguration", {{"timeToLiveSecs", d.upstream.time_to_live_secs}}}};
  content["$edgeAgent"] = {{"properties.desired", agent}};
  content["$edgeHub"] = {{"properties.desired", edge_hub}};
  return {{"modulesContent", content}};
}

int export_iotedge_command(const ExportOptions& options) {
  // Paths in the twins become the image's: the state volume, and
  // /etc/checkout-edge for the files beside the manifest (the catalogue),
  // bound read-only into each container.
  auto variables = options.variables;
  variables["STATE_DIR"] = state_in_image;
  variables["MANIFEST_DIR"] = config_in_image;
  nlohmann::json lane = read_manifest_file(options.manifest, variables);
  std::vector<std::string> warnings;
  nlohmann::json out = iotedge_deployment(lane, options, &warnings);
  for (auto& w : warnings) std::cerr << "checkout-edge: " << w << "\n";
  std::string body = out.dump(2) + "\n";
  if (options.out.empty() || options.out == "-") {
    std::cout << body;
  } else {
    write_file_atomically(options.out, body);
    std::cerr << "checkout-edge: wrote " << options.out << " ("
              << out["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"].size()
              << " modules). Put the registry's credentials in " << options.credentials_env
              << "_USERNAME and " << options.credentials_env
              << "_PASSWORD, substitute them (envsubst) and deploy: az iot edge set-modules "
                 "--device-id LANE --hub-name HUB --content FILE\n";
  }
  return 0;
}

}  // namespace ce
