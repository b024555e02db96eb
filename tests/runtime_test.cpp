// The runtime as store staff use it: `checkout-edge run` with the real
// broker, and `list`, `deploy`, `twin`, `call`, `restart`, `logs`, `check`
// and `monitor` from another shell. The modules are tests/fake_module.cpp,
// built on the same public module API as the built-in ones.
#include <gtest/gtest.h>
#include <pwd.h>

#include <fstream>
#include <regex>
#include <set>

#include "fake_serial_device.h"
#include "runtime/broker.h"
#include "test_support.h"

using namespace ce::testing_support;
using namespace std::chrono_literals;

namespace {

json fake(const std::string& policy, std::map<std::string, std::string> env = {},
          const std::string& version = "1.0") {
  json e = json::object();
  for (auto& [k, v] : env) e[k] = {{"value", v}};
  return {{"type", "process"},
          {"status", "running"},
          {"restartPolicy", policy},
          {"version", version},
          {"env", e},
          {"settings", {{"command", {FAKE_MODULE}}}}};
}

json manifest(json modules, json routes = json::object(), json hub = json::object()) {
  json m;
  m["modulesContent"]["$edgeAgent"]["properties.desired"] = {{"schemaVersion", "1.1"},
                                                             {"runtime",
                                                              {{"type", "process"},
                                                               {"settings",
                                                                {{"restartBackoffBaseMs", 200},
                                                                 {"restartBackoffMaxMs", 400},
                                                                 {"maxRestarts", 1000},
                                                                 {"heartbeatIntervalMs", 100},
                                                                 {"heartbeatTimeoutMs", 1000},
                                                                 {"deployStableMs", 800},
                                                                 {"deployTimeoutMs", 5000}}}}},
                                                             {"modules", modules}};
  hub["routes"] = routes;
  m["modulesContent"]["$edgeHub"]["properties.desired"] = hub;
  return m;
}

class RuntimeTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           (std::string(testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
            std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  fs::path write(const std::string& name, const json& j) {
    std::ofstream(dir_ / name) << j.dump(2);
    return dir_ / name;
  }
  static json list(const Runtime& rt) {
    int status = 0;
    std::string out = rt.cli("list --output json", &status);
    json j = json::parse(out, nullptr, false);
    json by_name = json::object();
    if (j.is_array())
      for (auto& m : j) by_name[m["name"].get<std::string>()] = m;
    return by_name;
  }
  fs::path dir_;
};

TEST_F(RuntimeTest, EachRestartPolicyBehavesAsNamed) {
  json modules = json::object();
  for (std::string policy : {"never", "on-failure", "on-unhealthy", "always"}) {
    modules["crash-" + policy] =
        fake(policy, {{"FAKE_EXIT_AFTER_MS", "300"}, {"FAKE_EXIT_CODE", "3"}});
    modules["clean-" + policy] =
        fake(policy, {{"FAKE_EXIT_AFTER_MS", "300"}, {"FAKE_EXIT_CODE", "0"}});
    modules["hang-" + policy] = fake(policy);
  }
  Runtime rt(dir_ / "state", write("m.json", manifest(modules)));
  rt.start();
  ASSERT_TRUE(rt.started());

  // A hung module: alive, holding its pid, but silent.
  std::map<std::string, int> hung;
  for (std::string policy : {"never", "on-failure", "on-unhealthy", "always"}) {
    ASSERT_TRUE(eventually([&] { return rt.module("hang-" + policy).value("pid", 0) > 0; }));
    hung[policy] = rt.module("hang-" + policy)["pid"];
    kill(hung[policy], SIGSTOP);
  }
  ASSERT_TRUE(eventually([&] {
    auto l = list(rt);
    return l["crash-always"]["restarts"].get<int>() >= 2 &&
           l["hang-on-unhealthy"]["restarts"].get<int>() >= 1;
  }));
  std::this_thread::sleep_for(1500ms);
  json l = list(rt);

  EXPECT_EQ(l["crash-never"]["status"], "failed");
  EXPECT_EQ(l["crash-never"]["restarts"], 0);
  EXPECT_NE(l["crash-never"]["description"].get<std::string>().find("Failed (exit 3)"),
            std::string::npos);
  for (std::string p : {"on-failure", "on-unhealthy", "always"})
    EXPECT_GE(l["crash-" + p]["restarts"].get<int>(), 2) << p << ": " << l["crash-" + p];

  for (std::string p : {"never", "on-failure", "on-unhealthy"}) {
    EXPECT_EQ(l["clean-" + p]["status"], "stopped") << p;
    EXPECT_EQ(l["clean-" + p]["restarts"], 0) << p;
  }
  EXPECT_GE(l["clean-always"]["restarts"].get<int>(), 2);

  // Only on-unhealthy acts on silence; the others keep the hung process.
  EXPECT_NE(l["hang-on-unhealthy"]["pid"], hung["on-unhealthy"]);
  EXPECT_EQ(l["hang-on-unhealthy"]["status"], "running");
  for (std::string p : {"never", "on-failure", "always"}) {
    EXPECT_EQ(l["hang-" + p]["pid"], hung[p]) << p;
    EXPECT_EQ(l["hang-" + p]["health"], "unhealthy") << p;
    EXPECT_NE(l["hang-" + p]["description"].get<std::string>().find("(unhealthy)"),
              std::string::npos);
  }
  for (auto& [_, pid] : hung) kill(pid, SIGCONT);
  EXPECT_EQ(rt.stop(), 0);
}

TEST_F(RuntimeTest, DeployChangesOnlyWhatChangedAndRollsBackAnUnhealthyModule) {
  json first = manifest({{"a", fake("always")}, {"b", fake("always")}});
  first["modulesContent"]["b"]["properties.desired"] = {{"greeting", "hello"}};
  Runtime rt(dir_ / "state", write("first.json", first));
  rt.start();
  ASSERT_TRUE(rt.started());
  ASSERT_TRUE(eventually([&] {
    auto l = list(rt);
    return l["a"]["health"] == "healthy" && l["b"]["health"] == "healthy";
  }));
  int a_pid = rt.module("a")["pid"], b_pid = rt.module("b")["pid"];

  // a changes version (restart), b only its desired properties (no restart), c is new.
  json second =
      manifest({{"a", fake("always", {}, "1.1")}, {"b", fake("always")}, {"c", fake("always")}});
  second["modulesContent"]["b"]["properties.desired"] = {{"greeting", "good morning"}};
  int status = -1;
  std::string out = rt.cli("deploy " + write("second.json", second).string(), &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("restarted: a"), std::string::npos) << out;
  EXPECT_NE(out.find("started: c"), std::string::npos) << out;
  EXPECT_NE(out.find("updated without restart: b"), std::string::npos) << out;
  EXPECT_NE(rt.module("a")["pid"], a_pid);
  EXPECT_EQ(rt.module("a")["version"], "1.1");
  EXPECT_EQ(rt.module("b")["pid"], b_pid);
  EXPECT_EQ(rt.module("c")["status"], "running");
  ASSERT_TRUE(eventually([&] {
    json twin = json::parse(rt.cli("twin b"), nullptr, false);
    return !twin.is_discarded() && twin["reported"]["desired"]["greeting"] == "good morning";
  })) << rt.cli("twin b");
  a_pid = rt.module("a")["pid"];
  int c_pid = rt.module("c")["pid"];
  std::string good = ce::read_file(rt.state() / "deployment.json");

  // A bad manifest changes nothing, and says what is wrong where.
  json bad = second;
  bad["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["a"]["restartPolicy"] =
      "sometimes";
  out = rt.cli("deploy " + write("bad.json", bad).string(), &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("modules.a.restartPolicy"), std::string::npos) << out;
  EXPECT_NE(out.find("Nothing was changed"), std::string::npos) << out;
  EXPECT_EQ(rt.module("a")["pid"], a_pid);
  EXPECT_EQ(ce::read_file(rt.state() / "deployment.json"), good);

  // A changed module that never becomes healthy: the previous deployment comes back.
  json broken = second;
  broken["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["a"] =
      fake("always", {{"FAKE_EXIT_AFTER_MS", "100"}, {"FAKE_EXIT_CODE", "2"}}, "1.2");
  out = rt.cli("deploy " + write("broken.json", broken).string(), &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("Rolled back"), std::string::npos) << out;
  // Caught between two tries ("it is backoff (exit 2)") or in one ("it has
  // not stayed up long enough"): either way the module and why.
  EXPECT_NE(out.find("a: it "), std::string::npos) << out;
  EXPECT_EQ(rt.module("a")["version"], "1.1");
  EXPECT_EQ(rt.module("c")["pid"], c_pid);  // untouched by the failed deployment
  EXPECT_EQ(ce::read_file(rt.state() / "deployment.json"), good);
  EXPECT_TRUE(eventually([&] { return list(rt)["a"]["health"] == "healthy"; }));
  EXPECT_EQ(rt.stop(), 0);
}

// The options go where people type them, `list` shows what store IT looks
// for, and the training commands name themselves as typed.
TEST_F(RuntimeTest, ListShowsHealthAndRestartsAndOptionsFollowTheSubcommand) {
  Runtime rt(dir_ / "state", write("m.json", manifest({{"fake", fake("always")}})));
  rt.start();  // `run --manifest M --state-dir DIR`
  ASSERT_TRUE(rt.started());
  ASSERT_TRUE(eventually([&] { return list(rt)["fake"]["health"] == "healthy"; }));
  int status = -1;
  std::string out;
  ASSERT_TRUE(eventually([&] {
    out =
        run(std::string(CE_BINARY) + " list --state-dir " + rt.state().string() + " 2>&1", &status);
    return status == 0 &&
           std::regex_search(out, std::regex(R"(\nfake +running +healthy +[0-9]+ )"));
  })) << out;
  EXPECT_NE(out.find("HEALTH"), std::string::npos) << out;
  EXPECT_NE(out.find("RESTARTS"), std::string::npos) << out;

  out = run(std::string(CE_BINARY) + " enroll --help 2>&1", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("Usage: checkout-edge enroll"), std::string::npos) << out;
  EXPECT_EQ(out.find("checkout-edge-train"), std::string::npos) << out;
  EXPECT_NE(out.find("5 to 50 photos"), std::string::npos) << out;
}

TEST_F(RuntimeTest, TwinsMethodsRestartAndLogsFromTheCli) {
  Runtime rt(dir_ / "state", write("m.json", manifest({{"fake", fake("always")}})));
  rt.start();
  ASSERT_TRUE(rt.started());
  ASSERT_TRUE(eventually([&] { return list(rt)["fake"]["health"] == "healthy"; }));
  int pid = rt.module("fake")["pid"];

  // A desired-property change reaches the running module without a restart.
  int status = -1;
  std::string out = rt.cli("twin fake --set threshold=0.75 --set model.version=v2", &status);
  ASSERT_EQ(status, 0) << out;
  ASSERT_TRUE(eventually([&] {
    json t = json::parse(rt.cli("twin fake"), nullptr, false);
    return !t.is_discarded() && t["reported"]["desired"]["threshold"] == 0.75 &&
           t["reported"]["desired"]["model"]["version"] == "v2";
  }));
  EXPECT_EQ(rt.module("fake")["pid"], pid);
  json twin = json::parse(rt.cli("twin fake"));
  EXPECT_EQ(twin["desired"]["threshold"], 0.75);
  EXPECT_EQ(twin["reported"]["pid"], pid);
  out = rt.cli("twin fake --set nonsense", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("key=value"), std::string::npos) << out;
  out = rt.cli("twin nosuch --set a=1", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("no module 'nosuch'"), std::string::npos) << out;

  // Direct methods: a reply with its status, a clear 404, and a timeout.
  json reply = json::parse(rt.cli("call fake ping", &status));
  EXPECT_EQ(status, 0);
  EXPECT_EQ(reply["status"], 200);
  EXPECT_EQ(reply["payload"]["pid"], pid);
  reply = json::parse(rt.cli("call fake produce '{\"count\": 3}'", &status));
  EXPECT_EQ(reply["payload"]["count"], 3);
  out = rt.cli("call fake fly", &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("404"), std::string::npos) << out;
  EXPECT_NE(out.find("ping"), std::string::npos) << out;  // says what exists
  out = rt.cli("call ghost ping --timeout 0.5", &status);
  EXPECT_EQ(status, 3);
  EXPECT_NE(out.find("did not answer"), std::string::npos) << out;
  out = rt.cli("call fake ping '{not json'", &status);
  EXPECT_NE(out.find("not JSON"), std::string::npos) << out;

  out = rt.cli("restart fake", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(rt.module("fake")["pid"], pid);

  // Logs are stamped, so --since can pick the recent ones.
  out = rt.cli("logs edgeHub --since 5m", &status);
  EXPECT_EQ(status, 0);
  out = rt.cli("logs fake --since 1x", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("30s, 10m"), std::string::npos) << out;
  EXPECT_EQ(rt.stop(), 0);
}

// A setting that names a folder the module's sandbox was not given takes a
// restart (runtime/module_sandbox.h): the new settings reach the new process
// only. The old one, still confined to the old folders, would try them and
// report a failure (the console said "The classifier kept its model" for a
// model the restarted classifier then served).
TEST_F(RuntimeTest, SettingsThatNeedANewSandboxReachOnlyTheRestartedModule) {
  // A module that takes a while to stop, as one that saves its work does.
  Runtime rt(dir_ / "state",
             write("m.json", manifest({{"fake", fake("always", {{"FAKE_STOP_MS", "300"}})}})));
  rt.start();
  ASSERT_TRUE(rt.started());
  ASSERT_TRUE(eventually([&] { return list(rt)["fake"]["health"] == "healthy"; }));
  int pid = rt.module("fake")["pid"];
  for (int i = 0; i < 3; ++i) {
    // Each in a folder of its own, made after the module started.
    fs::path later = dir_ / ("made-later-" + std::to_string(i)) / "files";
    fs::create_directories(later);
    int status = -1;
    std::string folder = later.string();
    std::string out = rt.cli("twin fake --set folder=" + folder, &status);
    ASSERT_EQ(status, 0) << out;
    ASSERT_TRUE(eventually([&] {
      json d = reported_by(rt, "fake")["desired"];
      return d.is_object() && d.value("folder", "") == folder;
    })) << rt.cli("twin fake");
    int now = rt.module("fake")["pid"];
    EXPECT_NE(now, pid) << "restarted for its new sandbox";
    std::string log = rt.cli("logs fake");
    EXPECT_EQ(log.find("fake " + std::to_string(pid) + ": desired {\"folder\":\"" + folder),
              std::string::npos)
        << "the old process was sent the setting its sandbox cannot serve:\n"
        << log;
    pid = now;
  }
  EXPECT_EQ(rt.stop(), 0);
}

TEST_F(RuntimeTest, APackageMadeOrReplacedBesideTheServedOneAfterTheStartIsRead) {
  // The test's folder holds the state folder, so the sandbox's rules name
  // each of its entries as they were when the module started: a package
  // made beside the served one later is not among them.
  auto package = [&](const std::string& name, const std::string& labels) {
    fs::create_directories(dir_ / name);
    std::ofstream(dir_ / name / "labels.txt") << labels << "\n";
    return (dir_ / name).string();
  };
  json m = manifest({{"fake", fake("always")}});
  m["modulesContent"]["fake"]["properties.desired"] = {{"package", package("first", "apple")}};
  Runtime rt(dir_ / "state", write("m.json", m));
  rt.start();
  ASSERT_TRUE(rt.started());
  auto labels = [&] { return reported_by(rt, "fake").value("labels", json()); };
  ASSERT_TRUE(eventually([&] { return labels() == "apple"; })) << rt.cli("twin fake");

  // Staff switch to a package made after the module started.
  std::string next = package("next", "banana");
  int status = -1;
  std::string out = rt.cli("twin fake --set package=" + next, &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_TRUE(eventually([&] { return labels() == "banana"; }))
      << "the module was sent a package its sandbox cannot read:\n"
      << rt.cli("twin fake") << rt.cli("logs fake --tail 5");

  // A retraining replaces the folder (a new one renamed over it), and the
  // module crashes: it comes back able to read the new one.
  package("next.new", "cherry");
  fs::rename(dir_ / "next", dir_ / "next.old");
  fs::rename(dir_ / "next.new", dir_ / "next");
  int pid = rt.module("fake")["pid"];
  kill(pid, SIGKILL);
  EXPECT_TRUE(eventually([&] {
    json r = reported_by(rt, "fake");
    return r.value("pid", 0) != pid && r.value("labels", json()) == "cherry";
  })) << "restarted in the sandbox made before the folder was replaced:\n"
      << rt.cli("twin fake") << rt.cli("list");
  EXPECT_EQ(rt.stop(), 0);
}

// The upstream broker of the test: mosquitto with a password and a
// persistent store, so it keeps a durable subscriber's session across
// its own restarts, as an IoT hub does.
class UpstreamBroker {
 public:
  UpstreamBroker(const fs::path& dir, int port, bool tls = false) : dir_(dir), port_(port) {
    fs::create_directories(dir_);
    run("mosquitto_passwd -b -c " + (dir_ / "passwd").string() + " lane secret-pass 2>&1");
    std::string tls_lines;
    if (tls) {
      // A self-signed certificate for 127.0.0.1, which is also its own CA.
      run("cd " + dir_.string() +
          " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
          "-addext subjectAltName=IP:127.0.0.1 -keyout server.key -out ca.pem 2>&1");
      tls_lines = "cafile " + (dir_ / "ca.pem").string() + "\ncertfile " +
                  (dir_ / "ca.pem").string() + "\nkeyfile " + (dir_ / "server.key").string() + "\n";
    }
    std::ofstream(dir_ / "mosquitto.conf")
        << "listener " << port << " 127.0.0.1\n"
        << tls_lines << "allow_anonymous false\npassword_file " << (dir_ / "passwd").string()
        << "\n"
        // Run as whoever runs the test, so the store can be written here.
        << "user " << getpwuid(geteuid())->pw_name << "\n"
        << "persistence true\npersistence_location " << dir_.string() << "/\n"
        << "max_queued_messages 0\nmax_inflight_messages 0\n";
  }
  ~UpstreamBroker() { stop(); }
  void start() {
    pid_ = fork();
    if (pid_ == 0) {
      std::string log = (dir_ / "broker.log").string();
      if (!freopen(log.c_str(), "a", stdout) || !freopen(log.c_str(), "a", stderr)) _exit(126);
      execl("/usr/sbin/mosquitto", "mosquitto", "-c", (dir_ / "mosquitto.conf").c_str(), nullptr);
      _exit(127);
    }
    ASSERT_TRUE(eventually([&] { return ce::port_accepts_connections(port_); }, 10s));
  }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);  // mosquitto saves its store on the way out
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  fs::path dir_;
  int port_;
  pid_t pid_ = -1;
};

json upstream_manifest(int port, int ttl_secs, const std::string& ca_file = "") {
  json hub = {{"upstream",
               {{"host", "127.0.0.1"},
                {"port", port},
                {"clientId", "lane-7"},
                {"username", "lane"},
                {"passwordEnv", "CE_TEST_UPSTREAM_PASSWORD"}}},
              {"storeAndForwardConfiguration", {{"timeToLiveSecs", ttl_secs}}}};
  if (!ca_file.empty()) hub["upstream"]["tls"] = {{"caFile", ca_file}};
  return manifest(
      {{"producer", fake("always")}},
      {{"telemetryUp",
        "FROM /messages/modules/producer/outputs/* WHERE kind = 'test' INTO $upstream"}},
      hub);
}

// Every seq from the monitor's JSON lines, in arrival order.
std::vector<long long> received_seqs(const std::string& monitor_output) {
  std::vector<long long> seqs;
  size_t start = 0, nl;
  while ((nl = monitor_output.find('\n', start)) != std::string::npos) {
    json e = json::parse(monitor_output.substr(start, nl - start), nullptr, false);
    start = nl + 1;
    if (!e.is_discarded() && e.contains("event")) {
      EXPECT_EQ(e["event"]["module"], "producer");
      seqs.push_back(e["event"]["payload"]["seq"]);
    }
  }
  return seqs;
}

TEST_F(RuntimeTest, UpstreamOutageLosesNothingAcrossARuntimeRestart) {
  int port = ce::find_free_loopback_port();
  UpstreamBroker upstream(dir_ / "upstream", port);
  std::map<std::string, std::string> env{{"CE_TEST_UPSTREAM_PASSWORD", "secret-pass"}};
  auto m = write("m.json", upstream_manifest(port, 7200));
  std::string monitor = std::string(CE_BINARY) + " monitor --host 127.0.0.1 --port " +
                        std::to_string(port) + " --username lane --password-env " +
                        "CE_TEST_UPSTREAM_PASSWORD --durable test-monitor --output json";
  std::string monitor_env = "CE_TEST_UPSTREAM_PASSWORD=secret-pass ";

  // The subscriber's session exists upstream before the outage.
  upstream.start();
  int status = -1;
  std::string out = run(monitor_env + monitor + " --idle-timeout 0.3 2>&1", &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_TRUE(received_seqs(out).empty());
  upstream.stop();

  {
    Runtime rt(dir_ / "state", m, env);
    rt.start();
    ASSERT_TRUE(rt.started());
    ASSERT_TRUE(eventually([&] { return list(rt)["producer"]["health"] == "healthy"; }));
    out = rt.cli("call producer produce '{\"count\": 1000}' --timeout 30", &status);
    ASSERT_EQ(status, 0) << out;
    ASSERT_TRUE(eventually([&] { return rt.agent()["upstream"]["queued"] == 1000; }))
        << rt.agent()["upstream"];
    EXPECT_EQ(rt.agent()["upstream"]["connected"], false);
    EXPECT_NE(rt.cli("list").find("1000 queued"), std::string::npos);
    EXPECT_EQ(rt.stop(), 0);
  }
  Runtime rt(dir_ / "state", m, env);
  rt.start();
  ASSERT_TRUE(rt.started());
  EXPECT_EQ(rt.agent()["upstream"]["queued"], 1000);

  upstream.start();
  ASSERT_TRUE(eventually([&] { return rt.agent()["upstream"]["queued"] == 0; }, 60s))
      << rt.agent()["upstream"];
  EXPECT_GE(rt.agent()["upstream"]["delivered"].get<long long>(), 1000);
  out = run(monitor_env + monitor + " --idle-timeout 2", &status);
  ASSERT_EQ(status, 0);
  auto seqs = received_seqs(out);
  // All 1000, first arrivals in order; a resend after a reconnect may repeat some.
  std::set<long long> seen;
  std::vector<long long> first_arrivals;
  for (auto s : seqs)
    if (seen.insert(s).second) first_arrivals.push_back(s);
  ASSERT_EQ(first_arrivals.size(), 1000u) << "got " << seqs.size() << " messages";
  for (size_t i = 0; i < first_arrivals.size(); ++i) ASSERT_EQ(first_arrivals[i], (long long)i);
  EXPECT_LE(seqs.size(), 1100u);
  EXPECT_EQ(rt.stop(), 0);
}

// Two lanes of one store send their telemetry upstream under their own
// names (the topics contract, docs/telemetry.md); `monitor --lanes` shows
// them side by side: modules up, the basket, the scans and the last one.
TEST_F(RuntimeTest, AStoresLanesAreSeenSideBySideFromTheirTelemetry) {
  int port = ce::find_free_loopback_port();
  UpstreamBroker upstream(dir_ / "upstream", port);
  upstream.start();
  std::map<std::string, std::string> env{{"CE_TEST_UPSTREAM_PASSWORD", "secret-pass"}};
  auto lane_manifest = [&](const std::string& lane) {
    json hub = {{"upstream",
                 {{"host", "127.0.0.1"},
                  {"port", port},
                  {"clientId", lane},
                  {"store", "store-12"},
                  {"username", "lane"},
                  {"passwordEnv", "CE_TEST_UPSTREAM_PASSWORD"}}}};
    return write(
        lane + ".json",
        manifest(
            {{"checkout", fake("always")}, {"classifier", fake("always")}},
            {{"basketUp", "FROM /messages/modules/checkout/outputs/basket INTO $upstream"},
             {"scansUp", "FROM /messages/modules/classifier/outputs/predictions INTO $upstream"},
             {"healthUp", "FROM /messages/modules/$edgeAgent/outputs/moduleStatus INTO $upstream"}},
            hub));
  };
  std::string monitor = "CE_TEST_UPSTREAM_PASSWORD=secret-pass " + std::string(CE_BINARY) +
                        " monitor --host 127.0.0.1 --port " + std::to_string(port) +
                        " --username lane --password-env CE_TEST_UPSTREAM_PASSWORD --store store-12"
                        " --durable store-console --lanes";
  int status = -1;
  run(monitor + " --idle-timeout 0.3", &status);  // its session exists before the lanes send
  ASSERT_EQ(status, 0);

  Runtime lane1(dir_ / "lane-1", lane_manifest("lane-1"), env);
  Runtime lane2(dir_ / "lane-2", lane_manifest("lane-2"), env);
  lane1.start();
  lane2.start();
  ASSERT_TRUE(lane1.started() && lane2.started());
  for (Runtime* rt : {&lane1, &lane2})
    ASSERT_TRUE(eventually([&] { return list(*rt)["classifier"]["health"] == "healthy"; }));
  json basket = {{"basket", 41},
                 {"status", "open"},
                 {"lines", {{{"line", 1}, {"name", "Banana"}, {"priceMinor", 126}}}},
                 {"totalMinor", 126},
                 {"currency", "USD"},
                 {"minorUnits", 2}};
  json scan = {{"iteration", "grocery-7"},
               {"predictions", {{{"tagName", "Banana"}, {"probability", 0.97}}}}};
  auto call = [&](Runtime& rt, const std::string& module, const std::string& output,
                  const json& body, int count) {
    json request = {{"count", count}, {"output", output}, {"body", body}};
    std::string out = rt.cli("call " + module + " produce '" + request.dump() + "'", &status);
    ASSERT_EQ(status, 0) << out;
  };
  call(lane1, "classifier", "predictions", scan, 3);
  call(lane1, "checkout", "basket", basket, 1);
  scan["predictions"][0] = {{"tagName", "Lemon"}, {"probability", 0.64}};
  call(lane2, "classifier", "predictions", scan, 1);
  for (Runtime* rt : {&lane1, &lane2})
    ASSERT_TRUE(eventually([&] { return rt->agent()["upstream"]["queued"] == 0; }, 20s))
        << rt->agent()["upstream"];

  std::string table = run(monitor + " --idle-timeout 1.5", &status);
  ASSERT_EQ(status, 0) << table;
  auto row = [&](const std::string& lane) {
    size_t at = table.find("store-12    " + lane);
    return at == std::string::npos ? std::string() : table.substr(at, table.find('\n', at) - at);
  };
  std::string r1 = row("lane-1"), r2 = row("lane-2");
  // Its two modules and its hub (edgeHub), from the runtime's moduleStatus.
  EXPECT_NE(r1.find("3/3 up"), std::string::npos) << table;
  EXPECT_NE(r1.find("#41 open 1 lines USD 1.26"), std::string::npos) << table;
  EXPECT_NE(r1.find(" 3 "), std::string::npos) << table;  // scans
  EXPECT_NE(r1.find("Banana 0.97 (grocery-7)"), std::string::npos) << table;
  EXPECT_NE(r2.find("3/3 up"), std::string::npos) << table;
  EXPECT_NE(r2.find("Lemon 0.64 (grocery-7)"), std::string::npos) << table;

  // The topics are the contract's: lanes/<store>/<lane>/<module>/<output>.
  std::string raw_monitor = "CE_TEST_UPSTREAM_PASSWORD=secret-pass " + std::string(CE_BINARY) +
                            " monitor --host 127.0.0.1 --port " + std::to_string(port) +
                            " --username lane --password-env CE_TEST_UPSTREAM_PASSWORD "
                            "--topic 'lanes/store-12/lane-2/#' --durable raw --output json";
  run(raw_monitor + " --idle-timeout 0.3", &status);
  call(lane2, "checkout", "basket", basket, 1);
  std::string raw = run(raw_monitor + " --count 1 --idle-timeout 5", &status);
  ASSERT_EQ(status, 0) << raw;
  json event = json::parse(raw.substr(0, raw.find('\n')), nullptr, false);
  ASSERT_TRUE(event.is_object()) << raw;
  EXPECT_EQ(event["event"]["topic"], "lanes/store-12/lane-2/checkout/basket") << raw;
  EXPECT_EQ(event["event"]["properties"]["laneId"], "lane-2") << raw;
  EXPECT_EQ(event["event"]["properties"]["storeId"], "store-12") << raw;
}

TEST_F(RuntimeTest, UpstreamMessagesOlderThanTheirTimeToLiveAreDroppedAndCounted) {
  int port = ce::find_free_loopback_port();
  UpstreamBroker upstream(dir_ / "upstream", port);
  std::map<std::string, std::string> env{{"CE_TEST_UPSTREAM_PASSWORD", "secret-pass"}};
  std::string monitor = "CE_TEST_UPSTREAM_PASSWORD=secret-pass " + std::string(CE_BINARY) +
                        " monitor --host 127.0.0.1 --port " + std::to_string(port) +
                        " --username lane --password-env CE_TEST_UPSTREAM_PASSWORD --durable ttl "
                        "--output json";
  upstream.start();
  int status = -1;
  run(monitor + " --idle-timeout 0.3", &status);
  upstream.stop();

  Runtime rt(dir_ / "state", write("m.json", upstream_manifest(port, 2)), env);
  rt.start();
  ASSERT_TRUE(rt.started());
  ASSERT_TRUE(eventually([&] { return list(rt)["producer"]["health"] == "healthy"; }));
  rt.cli("call producer produce '{\"count\": 50}'", &status);
  ASSERT_EQ(status, 0);
  ASSERT_TRUE(eventually([&] { return rt.agent()["upstream"]["expired"] == 50; }, 10s))
      << rt.agent()["upstream"];
  upstream.start();
  ASSERT_TRUE(eventually([&] { return rt.agent()["upstream"]["connected"] == true; }, 20s));
  rt.cli("call producer produce '{\"count\": 20}'", &status);  // seq 50..69, fresh
  ASSERT_TRUE(eventually([&] { return rt.agent()["upstream"]["delivered"] == 20; }, 20s))
      << rt.agent()["upstream"];
  auto seqs = received_seqs(run(monitor + " --idle-timeout 1.5"));
  ASSERT_FALSE(seqs.empty());
  EXPECT_EQ(*std::min_element(seqs.begin(), seqs.end()), 50);
  EXPECT_EQ(std::set<long long>(seqs.begin(), seqs.end()).size(), 20u);
  EXPECT_EQ(rt.agent()["upstream"]["expired"], 50);
}

TEST_F(RuntimeTest, UpstreamOverTlsVerifiesTheBroker) {
  int port = ce::find_free_loopback_port();
  UpstreamBroker upstream(dir_ / "upstream", port, /*tls=*/true);
  std::string ca = (dir_ / "upstream" / "ca.pem").string();
  ASSERT_TRUE(fs::exists(ca));
  upstream.start();
  std::string monitor = "CE_TEST_UPSTREAM_PASSWORD=secret-pass " + std::string(CE_BINARY) +
                        " monitor --host 127.0.0.1 --port " + std::to_string(port) +
                        " --username lane --password-env CE_TEST_UPSTREAM_PASSWORD --durable tls "
                        "--output json --idle-timeout 1.5";
  int status = -1;
  std::string out = run(monitor + " --ca-file " + ca + " 2>&1", &status);
  ASSERT_EQ(status, 0) << out;

  std::map<std::string, std::string> env{{"CE_TEST_UPSTREAM_PASSWORD", "secret-pass"}};
  Runtime rt(dir_ / "state", write("m.json", upstream_manifest(port, 7200, ca)), env);
  rt.start();
  ASSERT_TRUE(rt.started());
  ASSERT_TRUE(eventually([&] { return rt.agent()["upstream"]["connected"] == true; }))
      << rt.agent()["upstream"];
  ASSERT_TRUE(eventually([&] { return list(rt)["producer"]["health"] == "healthy"; }));
  rt.cli("call producer produce '{\"count\": 5}'", &status);
  ASSERT_TRUE(eventually([&] { return rt.agent()["upstream"]["delivered"] == 5; }));
  auto seqs = received_seqs(run(monitor + " --ca-file " + ca));
  EXPECT_EQ(seqs, (std::vector<long long>{0, 1, 2, 3, 4}));

  // Without the CA the broker's certificate is not trusted.
  out = run(monitor + " --ca-file /etc/ssl/certs/ca-certificates.crt 2>&1", &status);
  EXPECT_NE(status, 0) << out;
}

TEST_F(RuntimeTest, CheckSaysWhatIsWrongAndHowToFixIt) {
  json good = manifest({{"fake", fake("always")}});
  Runtime rt(dir_ / "state", write("good.json", good));
  int status = -1;
  std::string out = rt.cli("check --manifest " + (dir_ / "good.json").string(), &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("ok       manifest"), std::string::npos) << out;
  EXPECT_NE(out.find("ok       clock"), std::string::npos) << out;
  EXPECT_NE(out.find("warning  broker"), std::string::npos) << out;  // not running yet

  json bad = manifest({{"fake", fake("always")}});
  auto& mods = bad["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"];
  mods["gone"] = fake("always");
  mods["gone"]["settings"]["command"] = {"/nonexistent/program"};
  mods["classifier"] = {{"type", "process"}, {"settings", {{"module", "classifier"}}}};
  bad["modulesContent"]["classifier"]["properties.desired"] = {
      {"model", {{"file", (dir_ / "missing.onnx").string()}, {"labels", "x"}}}};
  mods["camera"] = {{"type", "process"}, {"settings", {{"module", "camera"}}}};
  bad["modulesContent"]["camera"]["properties.desired"] = {{"source", "/dev/video42"}};
  mods["keypad"] = {{"type", "process"}, {"settings", {{"module", "keypad"}}}};
  bad["modulesContent"]["keypad"]["properties.desired"] = {{"device", "/dev/input/event97"}};
  mods["speech"] = {{"type", "process"}, {"settings", {{"module", "speech"}}}};
  bad["modulesContent"]["speech"]["properties.desired"] = {{"device", "clock"},
                                                           {"locales", {"en-GB", "de-DE"}},
                                                           {"voices", {{"de-DE", "espeak-ng:xx"}}}};
  out = rt.cli("check --verbose --manifest " + write("bad.json", bad).string(), &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("error    gone program"), std::string::npos) << out;
  EXPECT_NE(out.find("error    classifier model"), std::string::npos) << out;
  EXPECT_NE(out.find("error    camera source"), std::string::npos) << out;
  EXPECT_NE(out.find("fix: plug the camera in"), std::string::npos) << out;
  EXPECT_NE(out.find("error    keypad device"), std::string::npos) << out;
  EXPECT_NE(out.find("ok       speech voice en-GB"), std::string::npos) << out;
  EXPECT_NE(out.find("error    speech voice de-DE"), std::string::npos) << out;

  json results =
      json::parse(rt.cli("check --output json --manifest " + (dir_ / "bad.json").string()));
  std::set<std::string> errors;
  for (auto& r : results)
    if (r["status"] == "error") errors.insert(r["check"]);
  // The settings as each module reads them: the missing model and voice
  // would stop those two modules at start.
  EXPECT_EQ(errors, (std::set<std::string>{"gone program", "classifier model",
                                           "classifier settings", "camera source", "keypad device",
                                           "speech settings", "speech voice de-DE"}));
}

}  // namespace

// A real scale protocol into the checkout: what the scale reports as wrong
// is said aloud, and an unplugged scale is reported, not fatal.
TEST_F(RuntimeTest, TheCheckoutSaysWhatTheScaleReports) {
  std::atomic<int> reads = 0;
  ce::testing_support::FakeSerialDevice device('\n', [&](const std::string& command) {
    if (command != "SI\r\n") return std::vector<std::string>{"ES\r\n"};
    return std::vector<std::string>{reads++ < 20 ? "S S      0.000 kg\r\n" : "S +\r\n"};
  });
  json modules = {
      {"scale",
       {{"type", "process"}, {"restartPolicy", "on-failure"}, {"settings", {{"module", "scale"}}}}},
      {"checkout", {{"type", "process"}, {"settings", {{"module", "checkout"}}}}}};
  json m = manifest(modules, {{"weight",
                               "FROM /messages/modules/scale/outputs/weight INTO "
                               "BrokeredEndpoint(\"/modules/checkout/inputs/weight\")"}});
  m["modulesContent"]["scale"]["properties.desired"] = {
      {"driver", "mt-sics"}, {"device", device.path()}, {"hz", 20}};
  m["modulesContent"]["checkout"]["properties.desired"] = {
      {"catalogue", CE_SOURCE_DIR "/config/catalogue.json"}};
  Runtime rt(dir_ / "state", write("m.json", m));
  rt.start();
  ASSERT_TRUE(rt.started());
  auto checkout_log = [&] { return rt.cli("logs checkout"); };
  ASSERT_TRUE(eventually([&] { return checkout_log().find("overloaded") != std::string::npos; }))
      << checkout_log() << rt.cli("logs scale");
  int scale_pid = rt.module("scale")["pid"];
  device.unplug();
  ASSERT_TRUE(eventually([&] { return checkout_log().find("not connected") != std::string::npos; }))
      << checkout_log() << rt.cli("logs scale");
  EXPECT_EQ(rt.module("scale")["pid"], scale_pid);  // keeps running and retrying
  json twin = json::parse(rt.cli("twin scale"));
  EXPECT_EQ(twin["reported"]["connected"], false);
  EXPECT_NE(twin["reported"]["error"].get<std::string>().find(device.path()), std::string::npos);
}
