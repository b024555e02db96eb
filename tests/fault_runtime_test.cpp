// What the fault and fuzz test of the whole lane found in the runtime and
// the checkout's inputs, each tried the way it broke: with the real runtime,
// broker and modules, and the bad input sent as anyone on the machine could.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <fstream>
#include <mutex>
#include <opencv2/imgcodecs.hpp>

#include "hub/hub_client.h"
#include "hub/method_call.h"
#include "journal_reader.h"
#include "runtime/hub_identities.h"
#include "runtime/module_sandbox.h"
#include "test_support.h"

using namespace ce::testing_support;
using namespace std::chrono_literals;

namespace {

json builtin(const std::string& module) {
  return {{"type", "process"},
          {"status", "running"},
          {"restartPolicy", "always"},
          {"settings", {{"module", module}}}};
}

json lane_manifest(json modules, json desired, json hub = json::object()) {
  json m;
  m["modulesContent"]["$edgeAgent"]["properties.desired"] = {
      {"schemaVersion", "1.1"},
      {"runtime",
       {{"type", "process"},
        {"settings", {{"restartBackoffBaseMs", 200}, {"restartBackoffMaxMs", 400}}}}},
      {"modules", modules}};
  m["modulesContent"]["$edgeHub"]["properties.desired"] = hub;
  for (auto& [name, d] : desired.items()) m["modulesContent"][name]["properties.desired"] = d;
  return m;
}

class Fault : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("fault-" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()) +
            "-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "catalogue.json") << R"({"currency": "USD", "products": [
      {"id": "4011", "name": "Banana", "tags": ["banana"], "pricePerKg": 299}]})";
  }
  fs::path write(const std::string& name, const json& j) {
    std::ofstream(dir_ / name) << j.dump(2);
    return dir_ / name;
  }
  // The checkout alone, its inputs fed by the test as the scale and the
  // classifier would (or as anyone on the hub can). Its sentences are routed
  // to an input it never reads: a module publishes only the outputs a route
  // takes.
  json checkout_only(json extra = json::object()) {
    json d = {{"catalogue", (dir_ / "catalogue.json").string()}, {"threshold", 0.5}};
    d.update(extra);
    return lane_manifest({{"checkout", builtin("checkout")}}, {{"checkout", d}},
                         {{"routes", {{"sentences", to_nowhere("checkout/outputs/sentence")}}}});
  }
  // The camera alone, its frames routed to an input it never reads.
  static json camera_alone(const json& desired) {
    return lane_manifest({{"camera", builtin("camera")}}, {{"camera", desired}},
                         {{"routes",
                           {{"frames",
                             "FROM /messages/modules/camera/outputs/frames INTO "
                             "BrokeredEndpoint(\"/modules/camera/inputs/unread\")"}}}});
  }
  static std::string to_nowhere(const std::string& output) {
    return "FROM /messages/modules/" + output +
           " INTO BrokeredEndpoint(\"/modules/checkout/inputs/test\")";
  }
  // The checkout and, as "camera", a module whose code is hostile: it keeps
  // its hub password where the test finds it (its data folder), then tries
  // what a compromised module did before modules were confined, and writes
  // down what the kernel let it do (data/camera/report).
  json checkout_and_intruder() {
    json m = checkout_only();
    auto& routes = m["modulesContent"]["$edgeHub"]["properties.desired"]["routes"];
    for (const char* output : {"frames", "weight", "test"})
      routes[std::string("camera-") + output] = to_nowhere(std::string("camera/outputs/") + output);
    m["modulesContent"]["checkout"]["properties.desired"]["locale"] = "en-US";
    m["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["checkout"]["env"] = {
        {"SHOP_DB_PASSWORD", {{"value", "hunter2-pw"}}}};
    const char* script = R"SH(cd "$CE_DATA_DIR" || exit 1
cat <&3 > pw; exec 3<&-
state=${CE_DATA_DIR%/data/*}
try() { if sh -c "$2" >/dev/null 2>&1; then echo "$1: done"; else echo "$1: refused"; fi; }
until [ -s "$state/data/checkout/journal.db" ]; do sleep 0.1; done
{
try admin.key "cat '$state/admin.key'"
try console.key "cat '$state/console.key'"
try hub-logins "cat '$state/hub/staff-passwd'"
try journal "cat '$state/data/checkout/journal.db'"
try state-write "echo x > '$state/planted'"
for p in /proc/[0-9]*; do
  if [ "$(cat $p/comm 2>/dev/null)" = checkout-edge ] &&
     tr '\0' '\n' < $p/cmdline | tail -n 1 | grep -qx checkout; then
    try checkout-environ "grep -q SHOP_DB_PASSWORD $p/environ"
    try checkout-memory "cat $p/maps"
    try checkout-signal "kill -0 ${p#/proc/}"
  fi
done
try own-folder "echo x > '$CE_DATA_DIR/own'"
try readable-system "cat /etc/hostname"
} > report.tmp
mv report.tmp report
exec sleep 600)SH";
    m["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["camera"] = {
        {"type", "process"},
        {"status", "running"},
        {"restartPolicy", "never"},
        {"settings", {{"command", {"/bin/sh", "-c", script}}}}};
    return m;
  }
  // Staff's login (the admin key): a party that may reach every topic.
  std::unique_ptr<ce::HubClient> hub_of(const Runtime& rt) {
    auto hub = std::make_unique<ce::HubClient>("test-" + std::to_string(getpid()), "127.0.0.1",
                                               rt.agent().value("hubPort", 0),
                                               ce::admin_login(ce::StateDir{rt.state()}));
    hub->connect();
    return hub;
  }
  fs::path dir_;
};

void publish_json(ce::HubClient& hub, const std::string& topic, const json& body,
                  long long capture_ms = 0) {
  ce::Message m = ce::Message::with_json(body);
  if (capture_ms) m.properties["captureTime"] = std::to_string(capture_ms);
  hub.publish(topic, m);
}

TEST_F(Fault, AFloodOfFrameRequestsGetsAtMostTenFramesASecondFromTheCamera) {
  // The camera takes a frame at once when the checkout asks (the weight
  // settled): asked without end, it must not spend the lane's CPU on frames.
  cv::imwrite((dir_ / "empty.png").string(), cv::Mat(240, 320, CV_8UC3, cv::Scalar(205, 210, 210)));
  json camera = {
      {"source", shared_dir() + "/datasets/grocery-store/val/Fruit/Banana/Banana_001.jpg"},
      {"emptyScene", (dir_ / "empty.png").string()},
      {"fps", 1}};
  Runtime rt(dir_ / "state", write("m.json", camera_alone(camera)));
  rt.start();
  ASSERT_TRUE(rt.started());
  auto frames_sent = [&] {
    json t = json::parse(rt.cli("twin camera"), nullptr, false);
    return t.is_object() && t["reported"].is_object() ? t["reported"].value("framesSent", 0) : 0;
  };
  ASSERT_TRUE(eventually([&] { return frames_sent() >= 1; }, 20s)) << rt.cli("logs camera");
  auto hub = hub_of(rt);
  // The requests are heard: one, now and then, is a frame at once.
  int before = frames_sent();
  publish_json(*hub, "modules/camera/inputs/frameWanted", {{"scanId", "s"}});
  std::this_thread::sleep_for(300ms);
  publish_json(*hub, "modules/camera/inputs/frameWanted", {{"scanId", "s"}});
  EXPECT_TRUE(eventually([&] { return frames_sent() >= before + 2; }, 5s));
  // A flood: a request every millisecond for 3 s.
  before = frames_sent();
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 3s) {
    publish_json(*hub, "modules/camera/inputs/frameWanted", {{"scanId", "s"}});
    std::this_thread::sleep_for(1ms);
  }
  std::this_thread::sleep_for(1s);  // its twin catches up
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int sent = frames_sent() - before;
  EXPECT_LE(sent, static_cast<int>(seconds * (10 + 1)) + 2)
      << sent << " frames in " << seconds << " s";
  EXPECT_GE(sent, 10) << "still answered, within the limit";
  EXPECT_EQ(rt.module("camera")["restarts"], 0);
}

TEST_F(Fault, AModuleBusyWhenToldToStopStopsCleanly) {
  // OpenBLAS starts its threads before main() blocks the stop signals, so a
  // SIGTERM that came while the module was busy went to one of them and
  // killed the module mid-frame. A camera busy all the time (a 12-megapixel
  // frame as fast as it can), restarted by staff again and again, must end
  // each time through its own goodbye.
  cv::Mat big(3000, 4000, CV_8UC3);
  cv::randu(big, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::imwrite((dir_ / "big.jpg").string(), big);
  json camera = {{"source", (dir_ / "big.jpg").string()}, {"fps", 120}};
  Runtime rt(dir_ / "state", write("m.json", camera_alone(camera)));
  rt.start();
  ASSERT_TRUE(rt.started());
  auto goodbyes = [&] { return count_of(rt.cli("logs camera"), "camera: stopped after"); };
  for (size_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE(rt.logged("camera", "at 120 fps", 20s));
    std::this_thread::sleep_for(500ms);
    rt.cli("restart camera");
    EXPECT_TRUE(eventually([&] { return goodbyes() == i; }, 10s))
        << "restart " << i << ": " << rt.cli("logs camera --tail 6") << rt.cli("list");
  }
}

TEST_F(Fault, BadControlInputIsAnsweredAndNeverStopsTheLane) {
  Runtime rt(dir_ / "state", write("m.json", checkout_only()));
  rt.start();
  ASSERT_TRUE(rt.started());
  int pid = rt.agent()["pid"];
  std::string deep(20000, '[');
  deep += std::string(20000, ']');
  for (std::string payload :
       {std::string("'{\"id\": 1}'"), std::string("'\"checkout\"'"), std::string("'[1, 2]'"),
        "'" + deep + "'", std::string("'{\"id\": \"checkout\", \"reason\": 7}'")}) {
    int status = 0;
    std::string out = rt.cli("call runtime restartModule " + payload, &status);
    if (payload.find("reason") != std::string::npos) continue;  // a wrong reason is ignored
    EXPECT_EQ(status, 1) << payload.substr(0, 40) << out;
    EXPECT_NE(out.find("\"status\": 400"), std::string::npos) << payload.substr(0, 40) << out;
    EXPECT_NE(out.find("error"), std::string::npos) << out;
  }
  // Not JSON at all, and a body larger than any request, straight onto the hub.
  auto hub = hub_of(rt);
  ce::Message garbage;
  garbage.body = std::string(2 << 20, '{');
  garbage.properties["replyTo"] = "$ce/replies/test/1";
  hub->publish("$ce/methods/$edgeAgent/deploy", garbage);
  garbage.body = "\xff\xfe not json";
  hub->publish("$ce/methods/$edgeAgent/updateDesired", garbage);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(rt.agent()["pid"], pid) << "the runtime is the one that started";
  EXPECT_EQ(kill(pid, 0), 0);
  int status = 0;
  std::string out = rt.cli("call runtime ping", &status);
  EXPECT_EQ(status, 0) << out;

  // A value of 28 kB that a regex recursed over once per character.
  json m = checkout_only();
  m["modulesContent"]["checkout"]["properties.desired"]["note"] =
      "${" + std::string(26171, 'A') + "}";
  out = rt.cli("check --manifest " + write("long.json", m).string(), &status);
  EXPECT_EQ(status, 1) << out.substr(0, 300);
  EXPECT_NE(out.find("is not set"), std::string::npos) << out.substr(0, 300);
}

TEST_F(Fault, TwinChangesAreCheckedAgainstTheModulesSettingsBeforeTheyAreKept) {
  json m = lane_manifest({{"checkout", builtin("checkout")}, {"scale", builtin("scale")}},
                         {{"checkout", {{"catalogue", (dir_ / "catalogue.json").string()}}},
                          {"scale", {{"steps", {{60000, 0}}}, {"hz", 5}}}});
  Runtime rt(dir_ / "state", write("m.json", m));
  rt.start();
  ASSERT_TRUE(rt.started());
  std::string before = ce::read_file(rt.state() / "deployment.json");
  struct Bad {
    std::string module, assignment, named;
  };
  for (const Bad& bad : {Bad{"scale", "hz=1000", "'hz'"}, Bad{"scale", "driver=nosuch", "driver"},
                         Bad{"checkout", "threshold=7", "'threshold'"},
                         Bad{"checkout", "threshold='\"high\"'", "'threshold'"},
                         Bad{"checkout", "minGrams=3.5", "'minGrams'"},
                         Bad{"checkout", "candidatesSpoken=12", "'candidatesSpoken'"},
                         Bad{"checkout", "rounding=sideways", "rounding"},
                         Bad{"checkout", "catalogue=/nonexistent.json", "/nonexistent.json"}}) {
    int status = 0;
    std::string out = rt.cli("twin " + bad.module + " --set " + bad.assignment, &status);
    EXPECT_EQ(status, 1) << bad.assignment << ": " << out;
    EXPECT_NE(out.find(bad.named), std::string::npos) << bad.assignment << ": " << out;
    EXPECT_NE(out.find("nothing was changed"), std::string::npos) << out;
  }
  EXPECT_EQ(ce::read_file(rt.state() / "deployment.json"), before) << "nothing bad was kept";

  int status = 0;
  rt.cli("twin checkout --set candidatesSpoken=2", &status);
  EXPECT_EQ(status, 0);
  json twin = json::parse(rt.cli("twin checkout"), nullptr, false);
  EXPECT_EQ(twin["desired"]["candidatesSpoken"], 2);
  rt.cli("twin checkout --set candidatesSpoken=null", &status);
  EXPECT_EQ(status, 0);
  twin = json::parse(rt.cli("twin checkout"), nullptr, false);
  EXPECT_FALSE(twin["desired"].contains("candidatesSpoken")) << twin.dump(2);

  // A deployment with a setting a module would refuse changes nothing either.
  json next = m;
  next["modulesContent"]["scale"]["properties.desired"]["driver"] = "nosuch";
  std::string out = rt.cli("deploy " + write("next.json", next).string(), &status);
  EXPECT_NE(status, 0) << out;
  EXPECT_NE(out.find("driver"), std::string::npos) << out;
}

TEST_F(Fault, AModulesEnvSecretIsReadAtStartAndNeverWrittenOutAndNothingElseIsPassed) {
  json m = checkout_only();
  m["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["checkout"]["env"] = {
      {"SHOP_DB_PASSWORD", {{"value", "${SHOP_SECRET}"}}},
      {"SHOP_DATA", {{"value", "${STATE_DIR}/shop"}}},
      {"SHOP_MISSING", {{"value", "${SHOP_NOT_SET}"}}}};
  fs::path manifest = write("m.json", m);
  Runtime rt(dir_ / "state", manifest,
             {{"SHOP_SECRET", "hunter2-pw"}, {"UNNAMED_RUNTIME_VAR", "not-for-modules"}});
  rt.start();
  ASSERT_TRUE(rt.started()) << ce::read_file(dir_ / "state-runtime.log");
  ASSERT_TRUE(rt.logged("checkout", "products, journal", 10s));

  // The module has what its manifest names, read as it started...
  int pid = rt.module("checkout")["pid"];
  std::string environ = ce::read_file("/proc/" + std::to_string(pid) + "/environ");
  EXPECT_NE(environ.find("SHOP_DB_PASSWORD=hunter2-pw"), std::string::npos);
  EXPECT_NE(environ.find("SHOP_DATA=" + fs::absolute(rt.state()).string() + "/shop"),
            std::string::npos)
      << environ;
  EXPECT_NE(environ.find("PATH="), std::string::npos);
  // ...and nothing else of the runtime's.
  EXPECT_EQ(environ.find("UNNAMED_RUNTIME_VAR"), std::string::npos);
  EXPECT_EQ(environ.find("SHOP_SECRET"), std::string::npos);
  EXPECT_NE(rt.cli("logs checkout").find("${SHOP_NOT_SET}, which is not set"), std::string::npos)
      << rt.cli("logs checkout");

  // The secret is nowhere a person or the cloud reads: the kept deployment,
  // the runtime's twin, the IoT Edge export.
  std::string kept = ce::read_file(rt.state() / "deployment.json");
  EXPECT_EQ(kept.find("hunter2"), std::string::npos);
  EXPECT_NE(kept.find("${SHOP_SECRET}"), std::string::npos);
  std::string twin = rt.cli("twin '$edgeAgent'");
  EXPECT_EQ(twin.find("hunter2"), std::string::npos) << twin;
  int status = -1;
  std::string exported =
      rt.cli("export iotedge --registry shop.azurecr.io -m " + manifest.string(), &status);
  ASSERT_EQ(status, 0) << exported;
  EXPECT_EQ(exported.find("hunter2"), std::string::npos);
  EXPECT_NE(exported.find("${SHOP_SECRET}"), std::string::npos) << exported;
}

TEST_F(Fault, SecretsStayOutOfTwinsAndModulesAndOnlyTheAdministratorDeploys) {
  json m = checkout_only();
  m["modulesContent"]["$edgeHub"]["properties.desired"]["upstream"] = {
      {"host", "127.0.0.1"}, {"port", 1}, {"passwordEnv", "UPSTREAM_PW"}};
  Runtime rt(dir_ / "state", write("m.json", m), {{"UPSTREAM_PW", "s3cret-pw"}});
  rt.start();
  ASSERT_TRUE(rt.started()) << ce::read_file(dir_ / "state-runtime.log");

  // ${VAR} in a twin change is kept as written, never expanded from the runtime.
  int status = 0;
  rt.cli("twin checkout --set 'locale=${UPSTREAM_PW}'", &status);
  std::string twin = rt.cli("twin checkout");
  EXPECT_EQ(twin.find("s3cret-pw"), std::string::npos) << twin;
  // Nor may a manifest copy it into a twin unless it is listed as no secret.
  json leaky = checkout_only();
  leaky["modulesContent"]["checkout"]["properties.desired"]["locale"] = "${UPSTREAM_PW}";
  std::string out = rt.cli("check --manifest " + write("leaky.json", leaky).string(), &status);
  EXPECT_NE(out.find("twinVariables"), std::string::npos) << out;

  // The module's environment lacks the password the runtime holds.
  int pid = rt.module("checkout")["pid"];
  std::string environ = ce::read_file("/proc/" + std::to_string(pid) + "/environ");
  EXPECT_EQ(environ.find("UPSTREAM_PW"), std::string::npos);
  EXPECT_NE(environ.find("CE_MODULE_ID=checkout"), std::string::npos);

  // Anyone on the hub may ask, but an unsigned deploy or twin change is refused.
  auto hub = hub_of(rt);
  ce::MethodResult r =
      ce::call_method(*hub, "intruder", "$edgeAgent", "deploy", {{"manifest", m}}, 5s);
  EXPECT_EQ(r.status, 403) << r.payload.dump();
  r = ce::call_method(*hub, "intruder", "$edgeAgent", "updateDesired",
                      {{"id", "checkout"}, {"patch", {{"threshold", 0.01}}}}, 5s);
  EXPECT_EQ(r.status, 403) << r.payload.dump();
  r = ce::call_method(*hub, "intruder", "$edgeAgent", "updateDesired",
                      {{"id", "checkout"}, {"patch", {{"threshold", 0.01}}}}, 5s, "wrong-key");
  EXPECT_EQ(r.status, 403) << r.payload.dump();
  EXPECT_NE(rt.cli("twin checkout").find("\"threshold\": 0.5"), std::string::npos);

  // State is the lane's alone.
  auto mode = [](const fs::path& p) {
    struct stat st {};
    stat(p.c_str(), &st);
    return st.st_mode & 0777;
  };
  EXPECT_EQ(mode(rt.state()), 0700u);
  for (auto f : {"agent.json", "deployment.json", "admin.key", "logs/checkout.log",
                 "data/checkout/journal.db"})
    EXPECT_EQ(mode(rt.state() / f), 0600u) << f;
  EXPECT_EQ(mode(rt.state() / "data/checkout"), 0700u);
  // A user with no rights cannot read the key, so cannot deploy.
  out = run("su nobody -s /bin/sh -c 'cat " + (rt.state() / "admin.key").string() + "' 2>&1",
            &status);
  EXPECT_NE(status, 0) << out;
}

TEST_F(Fault, WeightsAndPredictionsFromTheHubAreRangeChecked) {
  Runtime rt(dir_ / "state", write("m.json", checkout_only()));
  rt.start();
  ASSERT_TRUE(rt.started());
  ASSERT_TRUE(rt.logged("checkout", "products, journal", 10s));
  auto hub = hub_of(rt);
  const std::string weight = "modules/checkout/inputs/weight";
  const std::string predictions = "modules/checkout/inputs/predictions";
  auto place = [&](const json& grams) {
    for (int i = 0; i < 3; ++i) {
      publish_json(*hub, weight, {{"grams", grams}, {"stable", true}, {"status", "ok"}});
      std::this_thread::sleep_for(50ms);
    }
  };
  auto seen = [&](double probability) {
    publish_json(*hub, predictions,
                 {{"predictions", {{{"tagName", "banana"}, {"probability", probability}}}}},
                 ce::now_ms());
    std::this_thread::sleep_for(200ms);
  };
  auto lines = [&] { return journal_lines(rt.state() / "data/checkout/journal.db"); };

  place(4294967716LL);  // 420 g once truncated to an int
  seen(0.9);
  EXPECT_TRUE(lines().empty());
  EXPECT_TRUE(rt.logged("checkout", "grams must be a whole number within", 5s));

  place(0);
  place(420);
  seen(40);
  seen(-39);
  EXPECT_TRUE(lines().empty()) << "a probability of 40 is no probability";
  EXPECT_TRUE(rt.logged("checkout", "must be a number from 0 to 1", 5s));
  seen(0.9);
  ASSERT_TRUE(eventually([&] { return lines().size() == 1; }, 5s)) << rt.cli("logs checkout");
  EXPECT_EQ(lines()[0].grams, 420);
  EXPECT_EQ(lines()[0].price_minor, 126);
  EXPECT_DOUBLE_EQ(lines()[0].probability, 0.9);
}

// A small disk of its own (tmpfs), unmounted at the end; filled and freed
// as a full disk is.
struct SmallDisk {
  fs::path path;
  bool mounted = false;
  SmallDisk(fs::path p, const std::string& size) : path(std::move(p)) {
    fs::create_directories(path);
    mounted = mount("tmpfs", path.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted) umount2(path.c_str(), MNT_DETACH);
  }
  void fill() const {
    std::ofstream out(path / "filler", std::ios::binary);
    std::string block(4096, 'x');
    while (out.write(block.data(), block.size())) {
    }
  }
  void free() const { fs::remove(path / "filler"); }
};

// What the checkout says, as speech would hear it.
class Sentences {
 public:
  explicit Sentences(ce::HubClient& hub) {
    hub.subscribe("modules/checkout/outputs/sentence",
                  [this](const std::string&, const ce::Message& m) {
                    std::lock_guard lock(mutex_);
                    said_.push_back(m.json().value("text", ""));
                  });
  }
  size_t count(const std::string& text) const {
    std::lock_guard lock(mutex_);
    return std::count(said_.begin(), said_.end(), text);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> said_;
};

TEST_F(Fault, AFullDiskIsSaidAloudAndNamedInTheLog) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a small disk needs root";
  SmallDisk small(dir_ / "disk", "512k");
  ASSERT_TRUE(small.mounted) << strerror(errno);
  const fs::path& disk = small.path;
  Runtime rt(dir_ / "state",
             write("m.json", checkout_only({{"journal", (disk / "journal.db").string()}})));
  rt.start();
  ASSERT_TRUE(rt.started());
  ASSERT_TRUE(rt.logged("checkout", "products, journal", 10s)) << rt.cli("logs checkout");
  auto hub = hub_of(rt);
  Sentences said(*hub);
  small.fill();
  // A banana placed, as the scale and the classifier would say it.
  auto place = [&](int grams) {
    for (int i = 0; i < 3; ++i) {
      publish_json(*hub, "modules/checkout/inputs/weight",
                   {{"grams", grams}, {"stable", true}, {"status", "ok"}});
      std::this_thread::sleep_for(50ms);
    }
    publish_json(*hub, "modules/checkout/inputs/predictions",
                 {{"predictions", {{{"tagName", "banana"}, {"probability", 0.9}}}}}, ce::now_ms());
  };
  // `check` measures the journal's own disk, not only the state folder's.
  std::string check = rt.cli("check");
  EXPECT_NE(check.find("0 MB free for " + disk.string()), std::string::npos) << check;
  place(420);
  std::string log;
  EXPECT_TRUE(rt.logged("checkout", "cannot save to the basket journal", 10s, &log)) << log;
  EXPECT_NE(log.find("disk is full"), std::string::npos) << log;
  EXPECT_EQ(log.find("malformed"), std::string::npos) << log;
  EXPECT_TRUE(eventually(
      [&] { return said.count("This lane cannot save your basket. Please ask for help.") > 0; },
      5s));
  // Staff see it in `list`, with the fix, until the lane saves again.
  std::string list;
  EXPECT_TRUE(eventually(
      [&] { return (list = rt.cli("list")).find("cannot save baskets") != std::string::npos; },
      10s))
      << list;
  EXPECT_NE(list.find("free space"), std::string::npos) << list;
  small.free();
  publish_json(*hub, "modules/checkout/inputs/weight",
               {{"grams", 0}, {"stable", true}, {"status", "ok"}});
  std::this_thread::sleep_for(300ms);
  place(500);
  EXPECT_TRUE(eventually(
      [&] { return (list = rt.cli("list")).find("cannot save baskets") == std::string::npos; },
      15s))
      << list << rt.cli("logs checkout --tail 10");
}

TEST_F(Fault, TheWholeStateFolderOnAFullDiskKeepsTheLaneUpAndItRecoversByItself) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a small disk needs root";
  SmallDisk disk(dir_ / "disk", "8m");
  ASSERT_TRUE(disk.mounted) << strerror(errno);
  Runtime rt(disk.path / "state", write("m.json", checkout_only()));
  rt.start();
  ASSERT_TRUE(rt.started());
  ASSERT_TRUE(rt.logged("checkout", "products, journal", 10s)) << rt.cli("logs checkout");
  auto hub = hub_of(rt);
  Sentences said(*hub);
  auto told = [&](const std::string& text) { return said.count(text); };
  auto weigh = [&](int grams) {
    for (int i = 0; i < 3; ++i) {
      publish_json(*hub, "modules/checkout/inputs/weight",
                   {{"grams", grams}, {"stable", true}, {"status", "ok"}});
      std::this_thread::sleep_for(50ms);
    }
  };
  auto place = [&](int grams) {
    weigh(grams);
    publish_json(*hub, "modules/checkout/inputs/predictions",
                 {{"predictions", {{{"tagName", "banana"}, {"probability", 0.9}}}}}, ce::now_ms());
  };
  const fs::path journal = rt.state() / "data/checkout/journal.db";
  place(420);
  ASSERT_TRUE(eventually([&] { return journal_lines(journal).size() == 1; }, 10s));
  weigh(0);

  // The whole disk fills: the runtime's own state, the logs, the journal.
  disk.fill();
  const std::string cannot_save = "This lane cannot save your basket. Please ask for help.";
  for (int grams : {500, 600}) {
    size_t before = told(cannot_save);
    place(grams);
    EXPECT_TRUE(eventually([&] { return told(cannot_save) > before; }, 10s))
        << grams << " g placed on a full disk went unsaid";
    weigh(0);
    std::this_thread::sleep_for(2500ms);  // the runtime writes its state every 2 s
  }
  ASSERT_TRUE(rt.alive()) << "the runtime exited on a full disk, taking the lane with it";
  EXPECT_TRUE(rt.module("checkout").value("status", "") == "running");
  // Staff are told what is wrong and what to do, by `list` and `check`.
  std::string list;
  EXPECT_TRUE(eventually(
      [&] { return (list = rt.cli("list")).find("cannot write its state") != std::string::npos; },
      15s))
      << list;
  EXPECT_NE(list.find("free space"), std::string::npos) << list;
  std::string check = rt.cli("check");
  EXPECT_NE(check.find("0 MB free for " + rt.state().string()), std::string::npos) << check;

  // Space comes back: the lane rings items up again, nobody restarts it.
  disk.free();
  EXPECT_TRUE(eventually(
      [&] {
        weigh(0);
        place(700);
        std::this_thread::sleep_for(1s);
        auto lines = journal_lines(journal);
        return !lines.empty() && lines.back().grams == 700;
      },
      20s))
      << rt.cli("logs checkout --tail 20");
  EXPECT_TRUE(eventually(
      [&] { return (list = rt.cli("list")).find("cannot write its state") == std::string::npos; },
      15s))
      << list;
  EXPECT_TRUE(rt.alive());
  // What the logs could not keep is counted in them, not lost in silence.
  EXPECT_TRUE(rt.logged("checkout", "line(s) not kept: the disk was nearly full", 5s));
}

}  // namespace

namespace {

// The hostile camera's hub login, as it read it from the runtime's pipe.
ce::HubLogin camera_login(const Runtime& rt) {
  fs::path pw = rt.state() / "data/camera/pw";
  eventually([&] { return fs::exists(pw) && fs::file_size(pw) > 0; }, 10s);
  return {"camera", ce::read_file(pw)};
}

}  // namespace

TEST_F(Fault, TheHubRefusesStrangersAndKeepsEachModuleToItsOwnTopics) {
  Runtime rt(dir_ / "state", write("m.json", checkout_and_intruder()));
  rt.start();
  ASSERT_TRUE(rt.started());
  ASSERT_TRUE(rt.logged("checkout", "products, journal", 10s));
  int port = rt.agent().value("hubPort", 0);
  // No login, or a guessed one: refused, and told so.
  for (const ce::HubLogin& login :
       {ce::HubLogin{}, ce::HubLogin{"checkout", "guess"}, ce::HubLogin{"_admin", "guess"}}) {
    ce::HubClient stranger("stranger-" + login.username, "127.0.0.1", port, login);
    try {
      stranger.connect(4s);
      ADD_FAILURE() << "the hub let in '" << login.username << "'";
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find("refused this client's login"), std::string::npos)
          << e.what();
    }
  }
  // The state files that hold the logins are the lane user's alone.
  for (auto f : {"hub/passwd", "hub/acl", "admin.key"}) {
    struct stat st {};
    ASSERT_EQ(stat((rt.state() / f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  EXPECT_EQ(ce::read_file(rt.state() / "hub/passwd").find(camera_login(rt).password),
            std::string::npos)
      << "the broker keeps hashes, not passwords";

  // With the camera's own login, only the camera's own topics.
  ce::HubLogin camera = camera_login(rt);
  ce::HubClient as_camera("as-camera", "127.0.0.1", rt.agent().value("moduleHubPort", 0), camera);
  as_camera.connect();
  auto staff = hub_of(rt);
  std::atomic<int> own = 0, forged = 0, foreign_twins = 0;
  staff->subscribe("modules/camera/outputs/test", [&](auto&, auto&) { ++own; });
  staff->subscribe("modules/scale/outputs/#", [&](auto&, auto&) { ++forged; });
  // (Its own output "test" is routed to the checkout's input "test".)
  staff->subscribe("modules/checkout/inputs/weight", [&](auto&, auto&) { ++forged; });
  staff->subscribe("$ce/methods/#", [&](auto&, auto&) { ++forged; });
  as_camera.subscribe("$ce/twins/+/reported", [&](const std::string& topic, auto&) {
    if (topic != "$ce/twins/camera/reported") ++foreign_twins;
  });
  as_camera.subscribe("modules/+/inputs/#", [&](auto&, auto&) { ++foreign_twins; });
  std::this_thread::sleep_for(300ms);
  publish_json(as_camera, "modules/camera/outputs/test", {{"ok", true}});
  json weight{{"grams", 420}, {"stable", true}, {"status", "ok"}};
  publish_json(as_camera, "modules/scale/outputs/weight", weight);
  publish_json(as_camera, "modules/checkout/inputs/weight", weight);
  publish_json(as_camera, "$ce/methods/$edgeAgent/restartModule", {{"id", "checkout"}});
  EXPECT_TRUE(eventually([&] { return own == 1; }, 5s)) << "its own output is delivered";
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(forged, 0) << "another module's output, its own inputs, the runtime's methods";
  EXPECT_EQ(foreign_twins, 0);
  EXPECT_TRUE(journal_lines(rt.state() / "data/checkout/journal.db").empty());
  EXPECT_EQ(rt.module("checkout")["restarts"], 0);
  // Staff's commands still work: they log in with the admin key.
  EXPECT_NE(rt.cli("twin checkout").find("\"threshold\": 0.5"), std::string::npos);
}

TEST_F(Fault, AModulesLoginCannotTakeOverAnotherClientsConnection) {
  Runtime rt(dir_ / "state", write("m.json", checkout_and_intruder()));
  rt.start();
  ASSERT_TRUE(rt.started());
  ASSERT_TRUE(rt.logged("checkout", "products, journal", 10s));
  ce::HubLogin camera = camera_login(rt);
  int staff_port = rt.agent().value("hubPort", 0),
      module_port = rt.agent().value("moduleHubPort", 0);
  ASSERT_GT(module_port, 0);
  ASSERT_NE(module_port, staff_port);
  // A module's login is no login where the runtime and staff connect.
  ce::HubClient on_staff_port("as-camera", "127.0.0.1", staff_port, camera);
  try {
    on_staff_port.connect(4s);
    ADD_FAILURE() << "the staff listener let a module in";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("refused this client's login"), std::string::npos)
        << e.what();
  }
  // On its own listener, a module that names the runtime's or staff's client
  // id is itself: the connection it names stays up.
  auto staff = hub_of(rt);
  std::string staff_id = "test-" + std::to_string(getpid());
  int drops = 0;
  for (const std::string& id : {std::string("$edgeAgent"), staff_id}) {
    ce::HubClient impostor(id, "127.0.0.1", module_port, camera);
    impostor.connect();
    for (int i = 0; i < 100; ++i) {
      drops += !staff->connected();
      std::this_thread::sleep_for(20ms);
    }
  }
  EXPECT_EQ(drops, 0) << "staff's connection was dropped by a module naming its id";
  // Only its own: the hub says it closed the checkout's old connection, no other.
  std::string hub_log = ce::read_file(rt.state() / "logs/edgeHub.log");
  EXPECT_EQ(hub_log.find("Client $edgeAgent already connected"), std::string::npos) << hub_log;
  EXPECT_EQ(hub_log.find("Client " + staff_id + " already connected"), std::string::npos)
      << hub_log;
}

namespace {

long long resident_kb(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  return -1;
}

}  // namespace

TEST_F(Fault, AModuleSendsOnlyWhatARouteTakesRetainsOnlyItsTwinAndKeepsToSizes) {
  Runtime rt(dir_ / "state", write("m.json", checkout_and_intruder()));
  rt.start();
  ASSERT_TRUE(rt.started()) << ce::read_file(dir_ / "state-runtime.log");
  ce::HubClient camera("camera", "127.0.0.1", rt.agent().value("moduleHubPort", 0),
                       camera_login(rt));
  camera.connect();
  auto staff = hub_of(rt);
  std::mutex mutex;
  std::map<std::string, size_t> seen;  // topic -> the largest staff received
  staff->subscribe("modules/camera/outputs/#", [&](const std::string& topic, const auto& m) {
    std::lock_guard lock(mutex);
    seen[topic] = std::max(seen[topic], m.body.size());
  });
  std::this_thread::sleep_for(300ms);
  auto sized = [](size_t bytes) {
    ce::Message m;
    m.body.assign(bytes, 'x');
    return m;
  };
  int broker = rt.module("edgeHub")["pid"];
  long long before = resident_kb(broker);
  // Twenty 8 MB messages, each retained on a topic of its own: none kept.
  for (int i = 0; i < 20; ++i)
    camera.publish("modules/camera/outputs/hoard" + std::to_string(i), sized(8 << 20), 1, true);
  // Frames of a few MB pass; a frame over 8 MB and a 2 MB message do not.
  camera.publish("modules/camera/outputs/frames", sized(3 << 20), 1);
  camera.publish("modules/camera/outputs/frames", sized(9 << 20), 1);
  camera.publish("modules/camera/outputs/weight", sized(2 << 20), 1);
  camera.publish("modules/camera/outputs/weight", sized(100), 1);
  camera.publish("modules/camera/outputs/madeUp", sized(100), 1);  // no route takes it
  camera.publish("$ce/twins/camera/reported", ce::Message::with_json({{"ok", true}}), 1, true);
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mutex);
        return seen.count("modules/camera/outputs/weight") > 0;
      },
      10s));
  std::this_thread::sleep_for(500ms);
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(seen["modules/camera/outputs/frames"], size_t{3} << 20);
    EXPECT_EQ(seen["modules/camera/outputs/weight"], 100u) << "the 2 MB message went through";
    EXPECT_EQ(seen.count("modules/camera/outputs/madeUp"), 0u) << "an output no route takes";
    for (auto& [topic, bytes] : seen) EXPECT_EQ(topic.find("hoard"), std::string::npos) << topic;
  }
  EXPECT_LT(resident_kb(broker) - before, 40 * 1024) << "the broker kept what it refused";
  // A client that comes later finds the twin retained, and no hoard.
  staff.reset();
  ce::HubClient later("later-" + std::to_string(getpid()), "127.0.0.1",
                      rt.agent().value("hubPort", 0), ce::admin_login(ce::StateDir{rt.state()}));
  later.connect();
  std::atomic<int> retained = 0, twins = 0;
  later.subscribe("modules/camera/outputs/#", [&](auto&, auto&) { ++retained; });
  later.subscribe("$ce/twins/camera/reported", [&](auto&, auto&) { ++twins; });
  EXPECT_TRUE(eventually([&] { return twins == 1; }, 5s));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(retained, 0);
  EXPECT_NE(
      ce::read_file(rt.state() / "logs/edgeHub.log").find("refused modules/camera/outputs/hoard0"),
      std::string::npos);

  // A deployment that routes it lets it through: the broker is told at once.
  json routed = checkout_and_intruder();
  routed["modulesContent"]["$edgeHub"]["properties.desired"]["routes"]["camera-madeUp"] =
      to_nowhere("camera/outputs/madeUp");
  int status = -1;
  std::string out = rt.cli("deploy " + write("routed.json", routed).string(), &status);
  ASSERT_EQ(status, 0) << out;
  std::atomic<int> made_up = 0;
  later.subscribe("modules/camera/outputs/madeUp", [&](auto&, auto&) { ++made_up; });
  EXPECT_TRUE(eventually(
      [&] {
        camera.publish("modules/camera/outputs/madeUp", sized(100), 1);
        return made_up > 0;
      },
      10s));
}

TEST_F(Fault, AModuleWhoseCodeIsHostileCannotReadStaffsKeysOrAnotherModulesSecretsOrData) {
  if (ce::landlock_abi() == 0)
    GTEST_SKIP() << "this kernel cannot confine modules: " << ce::why_modules_are_not_confined();
  Runtime rt(dir_ / "state", write("m.json", checkout_and_intruder()));
  rt.start();
  ASSERT_TRUE(rt.started()) << ce::read_file(dir_ / "state-runtime.log");
  fs::path report_file = rt.state() / "data/camera/report";
  ASSERT_TRUE(eventually([&] { return fs::exists(report_file); }, 20s)) << rt.cli("logs camera");
  std::string report = ce::read_file(report_file);
  // What the hostile camera was refused, and what it still may do.
  for (const char* refused : {"admin.key", "console.key", "hub-logins", "journal", "state-write",
                              "checkout-environ", "checkout-memory"})
    EXPECT_NE(report.find(std::string(refused) + ": refused"), std::string::npos) << refused << "\n"
                                                                                  << report;
  if (ce::landlock_abi() >= 6)
    EXPECT_NE(report.find("checkout-signal: refused"), std::string::npos) << report;
  EXPECT_NE(report.find("own-folder: done"), std::string::npos) << report;
  EXPECT_NE(report.find("readable-system: done"), std::string::npos) << report;
  EXPECT_FALSE(fs::exists(rt.state() / "planted"));
  // The secret it was after was there: in the checkout's environment, which
  // only the lane's own unconfined processes (here, the test) may read.
  int checkout = rt.module("checkout")["pid"];
  EXPECT_NE(ce::read_file("/proc/" + std::to_string(checkout) + "/environ").find("hunter2-pw"),
            std::string::npos);
  // Its hub password came on a pipe: in no process's environment, and it works.
  int camera = rt.module("camera")["pid"];
  std::string environ;
  eventually(  // (read while the script execs its last command, it is empty)
      [&] {
        environ = ce::read_file("/proc/" + std::to_string(camera) + "/environ");
        return environ.find("CE_MODULE_ID=camera") != std::string::npos;
      },
      5s);
  EXPECT_EQ(environ.find("CE_HUB_PASSWORD="), std::string::npos) << environ;
  EXPECT_NE(environ.find("CE_HUB_PASSWORD_FD=3"), std::string::npos) << environ;
  ce::HubClient as_camera("camera", "127.0.0.1", rt.agent().value("moduleHubPort", 0),
                          camera_login(rt));
  EXPECT_NO_THROW(as_camera.connect(5s));
  // And `check` says the lane's modules are confined.
  EXPECT_NE(rt.cli("check").find("Landlock ABI"), std::string::npos) << rt.cli("check");
}

namespace {

// A process that is gone or a zombie waiting to be reaped: not running.
bool running(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

}  // namespace

TEST_F(Fault, AKilledRuntimeTakesItsBrokerAndModulesAlongAndANewOneStartsClean) {
  fs::path manifest = write("m.json", checkout_only());
  Runtime rt(dir_ / "state", manifest);
  rt.start();
  ASSERT_TRUE(rt.started());
  ASSERT_TRUE(rt.logged("checkout", "products, journal", 10s));
  int runtime = rt.agent()["pid"], broker = rt.module("edgeHub")["pid"],
      checkout = rt.module("checkout")["pid"];
  ASSERT_TRUE(running(broker) && running(checkout));
  kill(runtime, SIGKILL);
  EXPECT_TRUE(eventually([&] { return !running(broker) && !running(checkout); }, 10s))
      << "orphans: broker " << running(broker) << ", checkout " << running(checkout);
  rt.stop();  // reaps the killed runtime

  // The next runtime on the same state folder starts as if after a clean stop.
  Runtime again(dir_ / "state", manifest);
  again.start();
  ASSERT_TRUE(again.started()) << ce::read_file(dir_ / "state-runtime.log");
  EXPECT_TRUE(eventually(
      [&] {
        json m = again.module("checkout");
        return m.value("status", "") == "running" && m.value("pid", 0) != checkout;
      },
      10s))
      << again.cli("list");
  EXPECT_NE(again.module("edgeHub").value("pid", 0), broker);
  EXPECT_EQ(again.cli("list").find("not running"), std::string::npos) << again.cli("list");
}

TEST_F(Fault, AHubWithTlsTakesOnlyClientsThatVerifyIt) {
  // The store's certificates: a CA, and the hub's certificate for 127.0.0.1 signed by it.
  std::string d = dir_.string();
  std::string cmd =
      "cd " + d +
      " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=lane-ca "
      "-keyout ca.key -out ca.pem && openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
      "-keyout hub.key -out hub.csr && printf 'subjectAltName=IP:127.0.0.1\\n' > ext && "
      "openssl x509 -req -in hub.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
      "-extfile ext -out hub.pem";
  ASSERT_EQ(std::system(("(" + cmd + ") >/dev/null 2>&1").c_str()), 0);
  json m = checkout_only();
  m["modulesContent"]["$edgeAgent"]["properties.desired"]["runtime"] = {
      {"type", "process"},
      {"settings",
       {{"hubTls",
         {{"caFile", d + "/ca.pem"}, {"certFile", d + "/hub.pem"}, {"keyFile", d + "/hub.key"}}}}}};
  Runtime rt(dir_ / "state", write("m.json", m));
  rt.start();
  ASSERT_TRUE(rt.started()) << ce::read_file(dir_ / "state/logs/edgeHub.log");
  // The module connected over TLS: it heartbeats and answers.
  ASSERT_TRUE(rt.logged("checkout", "products, journal", 10s)) << rt.cli("logs checkout");
  EXPECT_TRUE(
      eventually([&] { return rt.module("checkout").value("health", "") == "healthy"; }, 10s))
      << rt.cli("list");
  std::string twin = rt.cli("twin checkout");
  EXPECT_NE(twin.find("\"products\""), std::string::npos) << twin;
  EXPECT_NE(ce::read_file(rt.state() / "hub/mosquitto.conf").find("certfile"), std::string::npos);
  // The right login without TLS, or with a CA that did not sign the hub: refused.
  int port = rt.agent().value("hubPort", 0);
  ce::HubLogin plain = ce::admin_login(ce::StateDir{rt.state()});
  ASSERT_EQ(plain.ca_file, d + "/ca.pem");
  plain.ca_file.clear();
  ce::HubClient without_tls("plain", "127.0.0.1", port, plain);
  EXPECT_ANY_THROW(without_tls.connect(3s));
  ASSERT_EQ(std::system(("cd " + d +
                         " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
                         "-subj /CN=other -keyout other.key -out other.pem >/dev/null 2>&1")
                            .c_str()),
            0);
  ce::HubLogin other = ce::admin_login(ce::StateDir{rt.state()});
  other.ca_file = d + "/other.pem";
  ce::HubClient wrong_ca("wrong-ca", "127.0.0.1", port, other);
  EXPECT_ANY_THROW(wrong_ca.connect(3s));
  auto staff = hub_of(rt);
  EXPECT_TRUE(staff->connected());
}
