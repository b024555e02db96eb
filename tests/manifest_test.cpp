#include "runtime/manifest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

using ce::ManifestError;
using nlohmann::json;

namespace {

json minimal() {
  return json::parse(R"J({
    "modulesContent": {
      "$edgeAgent": {"properties.desired": {"modules": {
        "camera": {"type": "process", "status": "running", "restartPolicy": "on-failure",
                   "version": "2.1", "startupOrder": 2,
                   "env": {"A": {"value": "1"}, "B": "x"},
                   "settings": {"module": "camera"}},
        "tool": {"type": "process", "settings": {"command": ["/bin/echo", "hi"]}}
      }}},
      "$edgeHub": {"properties.desired": {"routes": {
        "r1": "FROM /messages/modules/camera/outputs/frames INTO BrokeredEndpoint(\"/modules/tool/inputs/in\")",
        "r2": {"route": "FROM /messages/* INTO $upstream", "priority": 0}
      }}},
      "camera": {"properties.desired": {"fps": 5, "source": "${DIR}/photos"}}
    }})J");
}

std::string error_of(const json& j, std::map<std::string, std::string> vars = {{"DIR", "/d"}}) {
  try {
    ce::parse_manifest(j, vars);
  } catch (const ManifestError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Manifest, ReadsModulesRoutesAndDesiredProperties) {
  auto d = ce::parse_manifest(minimal(), {{"DIR", "/data"}});
  ASSERT_EQ(d.modules.size(), 2u);
  const auto& tool = d.modules[0];  // startupOrder 0 comes first
  EXPECT_EQ(tool.name, "tool");
  EXPECT_EQ(tool.command, (std::vector<std::string>{"/bin/echo", "hi"}));
  EXPECT_EQ(tool.restart_policy, ce::RestartPolicy::Always);
  const auto& cam = d.modules[1];
  EXPECT_EQ(cam.builtin, "camera");
  EXPECT_EQ(cam.version, "2.1");
  EXPECT_EQ(cam.restart_policy, ce::RestartPolicy::OnFailure);
  EXPECT_EQ(cam.env.at("A"), "1");
  EXPECT_EQ(cam.env.at("B"), "x");
  EXPECT_EQ(cam.desired["fps"], 5);
  EXPECT_EQ(cam.desired["source"], "/data/photos");
  ASSERT_EQ(d.routes.size(), 2u);
  EXPECT_EQ(d.routes[0].to_module, "tool");
  EXPECT_TRUE(d.routes[1].to_upstream);
}

TEST(Manifest, TheShippedDeploymentIsValid) {
  std::ifstream in(CE_SOURCE_DIR "/config/deployment.json");
  auto d = ce::parse_manifest(json::parse(in),
                              {{"SHARED", "/s"}, {"MANIFEST_DIR", "/m"}, {"STATE_DIR", "/st"}});
  EXPECT_EQ(d.modules.size(), 7u);
  ASSERT_EQ(d.routes.size(), 22u);
  // The camera's frames are read for codes, and the codes decide in the checkout.
  EXPECT_TRUE(std::any_of(d.routes.begin(), d.routes.end(), [](const ce::Route& r) {
    return r.from_module == "barcodes" && r.from_output == "codes" && r.to_module == "checkout" &&
           r.to_input == "codes";
  }));
  // What the checkout decides teaches the classifier.
  EXPECT_TRUE(std::any_of(d.routes.begin(), d.routes.end(), [](const ce::Route& r) {
    return r.from_module == "checkout" && r.from_output == "examples" &&
           r.to_module == "classifier" && r.to_input == "examples";
  }));
  // The kiosk's answers reach the checkout as the keypad's do.
  EXPECT_TRUE(std::any_of(d.routes.begin(), d.routes.end(), [](const ce::Route& r) {
    return r.from_module == "web" && r.from_output == "commands" && r.to_module == "checkout" &&
           r.to_input == "commands";
  }));
  // The runtime's own output reaches speech: it tells the shopper when the checkout is down.
  EXPECT_TRUE(std::any_of(d.routes.begin(), d.routes.end(), [](const ce::Route& r) {
    return r.from_module == "$edgeAgent" && r.from_output == "moduleStatus" &&
           r.to_module == "speech" && r.to_input == "laneStatus";
  }));
}

TEST(Manifest, NamesThePathTheValueAndWhatWasExpected) {
  auto j = minimal();
  j["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["camera"]["restartPolicy"] =
      "sometimes";
  std::string e = error_of(j);
  EXPECT_NE(e.find("modules.camera.restartPolicy"), std::string::npos) << e;
}

TEST(Manifest, ErrorsSayWhereAndWhat) {
  auto policy = minimal();
  policy["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["camera"]
        ["restartPolicy"] = "sometimes";
  std::string e = error_of(policy);
  EXPECT_NE(e.find("\"sometimes\""), std::string::npos) << e;
  EXPECT_NE(e.find("never, on-failure, on-unhealthy, always"), std::string::npos) << e;

  auto status = minimal();
  status["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["camera"]["status"] = 3;
  e = error_of(status);
  EXPECT_NE(e.find("modules.camera.status: expected a string, found 3"), std::string::npos) << e;

  auto docker = minimal();
  docker["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["camera"] =
      json{{"type", "docker"}, {"settings", json::object()}};
  e = error_of(docker);
  EXPECT_NE(e.find("camera.settings.image: a container module needs its image"), std::string::npos)
      << e;

  auto unknown = minimal();
  unknown["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["camera"]["settings"]
         ["module"] = "printer";
  e = error_of(unknown);
  EXPECT_NE(e.find("settings.module: expected a built-in module"), std::string::npos) << e;

  auto route = minimal();
  route["modulesContent"]["$edgeHub"]["properties.desired"]["routes"]["r1"] =
      "FROM /messages/modules/camera/outputs/frames INTO "
      "BrokeredEndpoint(\"/modules/ghost/inputs/in\")";
  e = error_of(route);
  EXPECT_NE(e.find("routes.r1: INTO names module 'ghost'"), std::string::npos) << e;

  auto orphan = minimal();
  orphan["modulesContent"]["scale"] = json{{"properties.desired", json::object()}};
  e = error_of(orphan);
  EXPECT_NE(e.find("modulesContent.scale"), std::string::npos) << e;

  e = error_of(minimal(), {});
  EXPECT_NE(e.find("${DIR} is not set"), std::string::npos) << e;

  e = error_of(json::parse(R"({"modulesContent": {}})"));
  EXPECT_NE(e.find("modulesContent.$edgeAgent: expected an object"), std::string::npos) << e;
}

TEST(Manifest, LoadReportsTheFileAndBadJson) {
  try {
    ce::load_manifest("/nonexistent/deployment.json");
    FAIL();
  } catch (const ManifestError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/deployment.json: cannot open"),
              std::string::npos);
  }
  std::string path = testing::TempDir() + "/bad.json";
  std::ofstream(path) << "{ \"modulesContent\": ";
  try {
    ce::load_manifest(path);
    FAIL();
  } catch (const ManifestError& e) {
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos);
  }
}

TEST(Manifest, AnIotEdgeAgentsManifestIsSentToIotEdge) {
  // The shape Azure IoT Edge's tooling writes, registry credentials and all.
  auto m = json::parse(R"J({"modulesContent": {
    "$edgeAgent": {"properties.desired": {
      "schemaVersion": "1.1",
      "runtime": {"type": "docker", "settings": {"registryCredentials": {
        "acr": {"username": "${ACR_USER}", "password": "${ACR_PASSWORD}", "address": "x.azurecr.io"}}}},
      "systemModules": {"edgeAgent": {"type": "docker", "settings": {"image": "mcr.microsoft.com/azureiotedge-agent:1.4"}}},
      "modules": {
        "camera-capture": {"type": "docker", "status": "running", "restartPolicy": "always",
                           "settings": {"image": "x.azurecr.io/camera:0.1-amd64"}}}}},
    "$edgeHub": {"properties.desired": {"routes": {}}}}})J");
  std::string e = error_of(m, {});  // before its ${ACR_PASSWORD}: not ours to need
  EXPECT_NE(e.find("a manifest for Azure IoT Edge's own agent"), std::string::npos) << e;
  EXPECT_NE(e.find("az iot edge set-modules"), std::string::npos) << e;
  EXPECT_NE(e.find("checkout-edge export iotedge"), std::string::npos) << e;
}

TEST(Manifest, ReadsContainerModules) {
  auto m = minimal();
  m["modulesContent"]["$edgeAgent"]["properties.desired"]["runtime"]["settings"]
   ["containerEngine"] = "docker";
  auto& camera = m["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["camera"];
  camera = json{{"type", "docker"},
                {"settings",
                 {{"image", "localhost/checkout-edge:0.1.0"},
                  // As IoT Edge keeps it: Docker's create options as a JSON string.
                  {"createOptions", json{{"Cmd", {"camera"}},
                                         {"Env", {"A=1"}},
                                         {"HostConfig",
                                          {{"Binds", {"/srv/photos:/photos:ro"}},
                                           {"Devices", {{{"PathOnHost", "/dev/video0"}}}},
                                           {"GroupAdd", {"video"}},
                                           {"NetworkMode", "host"}}}}
                                        .dump()}}}};
  ce::Deployment d = ce::parse_manifest(m, {{"DIR", "/x"}});
  EXPECT_EQ(d.runtime.container_engine, "docker");
  const ce::ModuleSpec* spec = nullptr;
  for (auto& s : d.modules)
    if (s.name == "camera") spec = &s;
  ASSERT_TRUE(spec && spec->container);
  EXPECT_EQ(spec->builtin, "camera");  // its settings are checked as the camera's
  EXPECT_EQ(spec->container->image, "localhost/checkout-edge:0.1.0");
  EXPECT_EQ(spec->container->binds, std::vector<std::string>{"/srv/photos:/photos:ro"});
  EXPECT_EQ(spec->container->devices, std::vector<std::string>{"/dev/video0:/dev/video0:rwm"});

  // The module's password is passed by name: its value never reaches a command line.
  auto cmd = ce::container_run_command("podman", "checkout-edge-camera-1", *spec->container,
                                       {"CE_HUB_PASSWORD", "CE_MODULE_ID"}, {"/var/lib/lane"});
  std::string line;
  for (auto& a : cmd) line += a + " ";
  EXPECT_NE(line.find(" run --rm --name checkout-edge-camera-1 --network host"), std::string::npos)
      << line;
  EXPECT_NE(line.find("--replace"), std::string::npos) << line;
  EXPECT_NE(line.find("--env CE_HUB_PASSWORD --env CE_MODULE_ID "), std::string::npos) << line;
  EXPECT_NE(line.find("--volume /var/lib/lane:/var/lib/lane"), std::string::npos) << line;
  EXPECT_NE(line.find("--device /dev/video0:/dev/video0:rwm"), std::string::npos) << line;
  EXPECT_NE(line.find("--group-add video"), std::string::npos) << line;
  EXPECT_NE(line.find("localhost/checkout-edge:0.1.0 camera "), std::string::npos) << line;

  auto refused = [&](json create) {
    camera["settings"]["createOptions"] = create;
    return error_of(m);
  };
  std::string e = refused({{"HostConfig", {{"NetworkMode", "bridge"}}}});
  EXPECT_NE(e.find("HostConfig.NetworkMode: must be \"host\": the lane's hub listens on 127.0.0.1"),
            std::string::npos)
      << e;
  e = refused({{"HostConfig", {{"Privileged", true}}}});
  EXPECT_NE(e.find("HostConfig.Privileged: this runtime does not carry 'Privileged' over"),
            std::string::npos)
      << e;
  e = refused({{"HostConfig", {{"Devices", {{{"PathOnHost", "/etc/passwd"}}}}}}});
  EXPECT_NE(e.find("'/etc/passwd' is not a device under /dev"), std::string::npos) << e;
  e = refused("{not json");
  EXPECT_NE(e.find("createOptions: is a string but not JSON"), std::string::npos) << e;
}

TEST(Manifest, ReadsUpstreamSettingsAndRefusesSecretsInThem) {
  auto m = minimal();
  auto& hub = m["modulesContent"]["$edgeHub"]["properties.desired"];
  hub["upstream"] = {{"host", "hub.example"},          {"port", 8883},
                     {"clientId", "lane-3"},           {"username", "lane-3"},
                     {"passwordEnv", "LANE_PASSWORD"}, {"tls", {{"caFile", "/etc/ssl/ca.pem"}}}};
  hub["storeAndForwardConfiguration"] = {{"timeToLiveSecs", 60}};
  auto d = ce::parse_manifest(m, {{"DIR", "/d"}});
  EXPECT_EQ(d.upstream.host, "hub.example");
  EXPECT_EQ(d.upstream.port, 8883);
  EXPECT_EQ(d.upstream.topic, "lanes/store/lane-3");
  hub["upstream"]["store"] = "store-12";
  EXPECT_EQ(ce::parse_manifest(m, {{"DIR", "/d"}}).upstream.topic, "lanes/store-12/lane-3");
  hub["upstream"]["store"] = "a/b";
  EXPECT_NE(error_of(m).find("upstream.store: expected a name without '/'"), std::string::npos)
      << error_of(m);
  hub["upstream"].erase("store");
  EXPECT_TRUE(d.upstream.tls);
  EXPECT_EQ(d.upstream.time_to_live_secs, 60);

  hub["upstream"]["password"] = "hunter2";
  std::string e = error_of(m);
  EXPECT_NE(e.find("upstream.password: secrets do not belong in a manifest"), std::string::npos)
      << e;
  EXPECT_EQ(e.find("hunter2"), std::string::npos) << "the error must not echo the secret";

  hub["upstream"].erase("password");
  hub["upstream"]["tls"] = {{"caFile", "/ca"}, {"certFile", "/c"}};
  e = error_of(m);
  EXPECT_NE(e.find("upstream.tls: expected both certFile and keyFile"), std::string::npos) << e;
}

TEST(Manifest, OnlyTheDefinitionDecidesARestart) {
  auto a = ce::parse_manifest(minimal(), {{"DIR", "/d"}});
  auto changed = minimal();
  changed["modulesContent"]["camera"]["properties.desired"]["fps"] = 10;
  auto b = ce::parse_manifest(changed, {{"DIR", "/d"}});
  EXPECT_TRUE(ce::same_process(a.modules[0], b.modules[0]));  // desired only: no restart
  changed["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["camera"]["version"] =
      "2.2";
  b = ce::parse_manifest(changed, {{"DIR", "/d"}});
  const ce::ModuleSpec* camera = nullptr;
  for (auto& m : b.modules)
    if (m.name == "camera") camera = &m;
  const ce::ModuleSpec* old = nullptr;
  for (auto& m : a.modules)
    if (m.name == "camera") old = &m;
  EXPECT_FALSE(ce::same_process(*old, *camera));
}

TEST(Manifest, HeartbeatTimeoutMustExceedTheInterval) {
  auto m = minimal();
  m["modulesContent"]["$edgeAgent"]["properties.desired"]["runtime"] = {
      {"type", "process"},
      {"settings", {{"heartbeatIntervalMs", 1000}, {"heartbeatTimeoutMs", 500}}}};
  std::string e = error_of(m);
  EXPECT_NE(e.find("heartbeatTimeoutMs: expected more than heartbeatIntervalMs (1000)"),
            std::string::npos)
      << e;
}
