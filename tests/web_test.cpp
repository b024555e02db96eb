// The screens in a real browser: Debian's Chromium, driven by puppeteer-core
// (tests/browser/lane_screens.mjs), on a whole lane of real processes. The
// shopper answers the lane's question by touch, hears and sees the same
// sentence, pays with the keyboard alone and gets the receipt; the web
// module restarts under the open page; staff log in (a wrong password and a
// missing CSRF token refused), change a twin and deploy; axe-core finds no
// WCAG 2.2 AA violation on any page or state. Screenshots: build/screenshots.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <future>
#include <regex>
#include <set>

#include "journal_reader.h"
#include "lane_support.h"
#include "modules/http_connections.h"
#include "modules/web/stream_slots.h"
#include "slow_clients.h"

using namespace ce::testing_support;
using namespace std::chrono_literals;

namespace {

// The JSON object the script printed last (it prints nothing else on stdout).
json script_output(const std::string& out) {
  auto start = out.find("\n{");
  std::string body = out.rfind("{", 0) == 0       ? out
                     : start == std::string::npos ? ""
                                                  : out.substr(start + 1);
  auto end = body.rfind("}");
  return json::parse(body.substr(0, end == std::string::npos ? 0 : end + 1), nullptr, false);
}

// A lane of the web module alone, with these desired properties besides
// any free port and the state folder.
void write_web_only_lane(const fs::path& dir, const json& web) {
  json m;
  m["modulesContent"]["$edgeAgent"]["properties.desired"] = {
      {"schemaVersion", "1.1"},
      {"runtime", {{"type", "process"}, {"settings", json::object()}}},
      {"modules", {{"web", builtin_module("web", 1)}}}};
  m["modulesContent"]["$edgeHub"]["properties.desired"]["routes"] = json::object();
  json desired = {{"port", 0}, {"stateDir", "${STATE_DIR}"}};
  desired.update(web);
  m["modulesContent"]["web"]["properties.desired"] = desired;
  std::ofstream(dir / "deployment.json") << m.dump(2);
}

// The kiosk's address once the web module reports it; empty after 30 s.
std::string kiosk_url(Runtime& runtime) {
  std::string kiosk;
  eventually(
      [&] {
        json t = json::parse(runtime.cli("twin web"), nullptr, false);
        if (t.is_discarded() || !t["reported"].is_object()) return false;
        kiosk = t["reported"].value("kioskUrl", "");
        return !kiosk.empty();
      },
      30s);
  return kiosk;
}

// The status line the server answers `head` with, sent alone (a body it
// announces is never sent), or "" when nothing comes within 3 s.
std::string answer_to_headers(int port, const std::string& head) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval three{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &three, sizeof three);
  std::string got;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      send(fd, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size())) {
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) got.assign(buf, static_cast<size_t>(n));
  }
  close(fd);
  return got.substr(0, got.find("\r\n"));
}

// A web-only lane in `dir`, started; its kiosk's port once it reports it.
void start_web_only_lane(const fs::path& dir, std::unique_ptr<Runtime>& lane, std::string& port) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_web_only_lane(dir, json::object());
  lane = std::make_unique<Runtime>(dir / "state", dir / "deployment.json");
  lane->start();
  ASSERT_TRUE(lane->started());
  std::string kiosk = kiosk_url(*lane);
  ASSERT_FALSE(kiosk.empty()) << lane->cli("logs web");
  port = kiosk.substr(kiosk.rfind(':') + 1);
  port = port.substr(0, port.find('/'));
}

// `staff add`, the password on standard input; what it printed.
std::string add_staff(Runtime& runtime, const std::string& name, const std::string& password,
                      int* status) {
  return run("echo '" + password + "' | " + std::string(CE_BINARY) + " --state-dir " +
                 runtime.state().string() + " staff add " + name + " --password-stdin 2>&1",
             status);
}

}  // namespace

TEST(Screens, AShopperAnswersAndPaysOnTheKioskAndStaffChangeTheLaneFromTheConsole) {
  ASSERT_TRUE(fs::exists(fs::path(CE_SOURCE_DIR) / "tests/browser/node_modules/puppeteer-core"))
      << "the browser tests' npm packages are missing: run scripts/install-deps.sh";
  LaneSpec spec;
  spec.name = "screens";
  spec.threshold = 0.999;  // every scan is a question
  spec.speech = spec.web = true;
  spec.runtime = {{"heartbeatTimeoutMs", 4000}};   // a hung checkout is seen in 4 s
  spec.model = {{"embeddingOutput", "pool10_1"}};  // the lane learns from the kiosk's answer
  fs::path dir = write_lane(spec);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());

  // Staff's account, its password only on standard input, kept as a hash.
  int status = -1;
  std::string out = add_staff(runtime, "alice", "correct horse battery", &status);
  ASSERT_EQ(status, 0) << out;
  fs::path accounts = runtime.state() / "data/web/staff.json";
  struct stat st {};
  ASSERT_EQ(stat(accounts.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string stored = ce::read_file(accounts);
  EXPECT_EQ(stored.find("correct horse"), std::string::npos);
  EXPECT_NE(stored.find("$argon2id$"), std::string::npos) << stored;
  out = run("echo short | " + std::string(CE_BINARY) + " --state-dir " + runtime.state().string() +
                " staff add bob --password-stdin 2>&1",
            &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("at least 10 characters"), std::string::npos) << out;

  std::string kiosk, console;
  ASSERT_TRUE(eventually(
      [&] {
        json t = json::parse(runtime.cli("twin web"), nullptr, false);
        if (t.is_discarded() || !t["reported"].is_object()) return false;
        kiosk = t["reported"].value("kioskUrl", "");
        console = t["reported"].value("consoleUrl", "");
        return !kiosk.empty();
      },
      30s))
      << runtime.cli("logs web");
  EXPECT_EQ(kiosk.rfind("http://127.0.0.1:", 0), 0u) << kiosk;  // loopback by default

  fs::path shots = fs::path(CE_BINARY_DIR) / "screenshots";
  std::string cli = std::string(CE_BINARY) + " --state-dir " + runtime.state().string();
  // Another model for staff to switch to, with what an evaluation wrote
  // beside it (the console shows these figures in its own words).
  fs::path other = dir / "models/azure_fruits4-tf";
  fs::create_directories(other);
  fs::copy(shared_dir() + "/models/custom-vision-exports/azure_fruits4-tf", other,
           fs::copy_options::recursive);
  std::ofstream(other / "metrics.json") << R"({"images": 40, "top1": 0.9, "precision": 0.8,
    "meanAveragePrecision": 0.85, "perTag": [{"tag": "apple", "images": 20, "precision": 0.8,
    "recall": 0.9, "averagePrecision": 0.8}], "worstConfusions": [{"truth": "apple",
    "predicted": "banana", "photos": 2, "ofPhotos": 20}]})";
  out =
      run("cd " + std::string(CE_SOURCE_DIR) + "/tests/browser && CE_CLI='" + cli +
              "' CE_CHECKOUT_PID=" + std::to_string(runtime.module("checkout").value("pid", 0)) +
              " CE_OTHER_MODEL='" + other.string() + "' timeout 280 node lane_screens.mjs " +
              kiosk + " " + console + " " + shots.string() + " alice 'correct horse battery' 2>&1",
          &status);
  json seen = script_output(out);
  ASSERT_FALSE(seen.is_discarded()) << out;
  ASSERT_EQ(status, 0) << out << runtime.cli("logs web --tail 30");

  // The kiosk: the question's candidates, then the line and the same sentence speech said.
  ASSERT_FALSE(seen["choices"].empty());
  EXPECT_NE(seen["choices"][0].get<std::string>().find("Banana"), std::string::npos) << seen;
  EXPECT_EQ(seen["line"][0], "Banana") << seen;
  EXPECT_EQ(seen["line"][2], "$1.26") << seen;
  EXPECT_EQ(seen["said"], "Banana, 0.42 kilograms, 1 dollar 26.") << seen;
  EXPECT_TRUE(runtime.logged("speech", seen["said"].get<std::string>(), 5s));
  EXPECT_EQ(seen["saidRegion"], "polite");
  EXPECT_TRUE(seen["photo"]["shown"].get<bool>() && seen["photo"]["width"].get<int>() > 0) << seen;
  EXPECT_LE(seen["zoom400"]["scrollWidth"], seen["zoom400"]["clientWidth"]) << seen;
  EXPECT_EQ(seen["afterRestart"], json::array({"Banana"})) << seen;
  EXPECT_NE(seen["confirm"].get<std::string>().find("$1.26"), std::string::npos) << seen;
  EXPECT_NE(seen["receipt"].get<std::string>().find("Banana"), std::string::npos) << seen;
  EXPECT_NE(seen["paidSaid"].get<std::string>().find("Paid"), std::string::npos) << seen;
  EXPECT_EQ(seen["commandWithoutToken"], 403);
  // What speech said when the checkout hung is what the kiosk showed.
  ASSERT_TRUE(seen["notice"].is_string()) << seen;
  EXPECT_NE(seen["notice"].get<std::string>().find("checkout"), std::string::npos) << seen;
  EXPECT_TRUE(runtime.logged("speech", seen["notice"].get<std::string>(), 5s))
      << runtime.cli("logs speech --tail 20");
  EXPECT_TRUE(eventually(
      [&] { return fs::exists(runtime.state() / "data/checkout/receipts/receipt-1.txt"); }, 5s));

  // The console: refused, then in, with no cookie: a page of another port of
  // the same host, opened or fetched from the logged-in browser, hears no
  // session (a cookie would have gone to it).
  EXPECT_EQ(seen["wrongPassword"], "wrong name or password");
  EXPECT_TRUE(seen["cookie"].empty()) << seen;
  ASSERT_GE(seen["otherPortHeard"].size(), 2u) << seen;
  for (const auto& heard : seen["otherPortHeard"]) {
    EXPECT_EQ(heard["cookie"], "") << seen;
    EXPECT_EQ(heard["authorization"], "") << seen;
  }
  EXPECT_EQ(seen["modules"]["checkout"], "running") << seen;
  EXPECT_EQ(seen["twinWithoutCsrf"]["status"], 403) << seen;
  EXPECT_EQ(seen["upstream"], "No upstream broker is configured.") << seen;
  EXPECT_NE(seen["speed"].get<std::string>().find(" sentences: median "), std::string::npos)
      << seen;
  EXPECT_NE(seen["lag"].get<std::string>().find(" predictions: median "), std::string::npos)
      << seen;
  EXPECT_EQ(seen["scene"].get<std::string>().rfind("item (scene ", 0), 0u) << seen;
  EXPECT_EQ(seen["twinResult"], "Changed checkout's threshold.") << seen;
  EXPECT_EQ(seen["loginAfterRestart"], false) << seen;
  // What the lane learnt from the kiosk's answer, its photo, removed by staff.
  ASSERT_EQ(seen["learnt"].size(), 1u) << seen;
  EXPECT_EQ(seen["learnt"][0][0], "banana") << seen;
  EXPECT_EQ(seen["learnt"][0][1], "1") << seen;
  EXPECT_NE(seen["learnt"][0][2].get<std::string>().find("answer"), std::string::npos) << seen;
  EXPECT_NE(seen["learnt"][0][2].get<std::string>().find("kiosk"), std::string::npos) << seen;
  EXPECT_TRUE(seen["learntPhoto"].get<bool>()) << seen;
  EXPECT_NE(seen["learningRemoved"].get<std::string>().find("Removed"), std::string::npos) << seen;
  EXPECT_TRUE(seen["learntAfter"].get<bool>()) << seen;
  EXPECT_NE(seen["deployResult"].get<std::string>().find("Deployed."), std::string::npos) << seen;
  // The model served, and another switched to from the console.
  EXPECT_NE(seen["modelBefore"].get<std::string>().find("imagenet-squeezenet"), std::string::npos)
      << seen["modelBefore"];
  EXPECT_EQ(seen["modelResult"], "Now serving azure_fruits4-tf.") << seen["modelResult"];
  json classifier = json::parse(runtime.cli("twin classifier"), nullptr, false);
  EXPECT_EQ(classifier["reported"]["modelVersion"], "azure_fruits4-tf") << classifier;

  // What `check`, `logs` and the journal say, in the console.
  ASSERT_FALSE(seen["checks"].empty()) << seen;
  bool has_disk = false;
  for (auto& c : seen["checks"]) has_disk |= c["check"] == "disk";
  EXPECT_TRUE(has_disk) << seen["checks"];
  EXPECT_TRUE(seen["logHasLine"].get<bool>());
  // The journal's baskets: the paid one and the one opened after it.
  ASSERT_EQ(seen["baskets"].size(), 2u) << seen["baskets"];
  EXPECT_EQ(seen["baskets"][0][0], "2");
  EXPECT_EQ(seen["baskets"][0][1], "open");
  EXPECT_EQ(seen["baskets"][0][4], "no lines");
  EXPECT_EQ(seen["baskets"][1][0], "1");
  EXPECT_EQ(seen["baskets"][1][1], "paid");
  EXPECT_EQ(seen["baskets"][1][4], "Banana");
  EXPECT_EQ(seen["baskets"][1][5], "$1.26");
  EXPECT_EQ(seen["paidBaskets"], json::array({seen["baskets"][1]})) << seen["paidBaskets"];

  // The preview named the one change before it was deployed; it took effect.
  EXPECT_EQ(seen["deployPreview"], json::array({"checkout.rounding: (none) → \"down\""}))
      << seen["deployPreview"];
  json twin = json::parse(runtime.cli("twin checkout"), nullptr, false);
  ASSERT_FALSE(twin.is_discarded());
  EXPECT_EQ(twin["desired"]["threshold"], 0.5) << twin;
  EXPECT_EQ(twin["desired"]["rounding"], "down") << twin;
  EXPECT_TRUE(eventually([&] {
    json t = json::parse(runtime.cli("twin checkout"), nullptr, false);
    return !t.is_discarded() && t["reported"]["rounding"] == "down";
  })) << runtime.cli("twin checkout");
  EXPECT_EQ(json::parse(runtime.cli("twin web"))["desired"]["stateDir"], runtime.state().string());

  // No WCAG 2.2 AA violation on any page in any state, each one photographed.
  // The console: one view at a time, each reflowing at 400%, in staff's words.
  EXPECT_EQ(seen["consoleViewAfterReload"], "#lane") << seen;
  EXPECT_EQ(seen["deployFocus"], "deploy-title") << seen;
  ASSERT_EQ(seen["reflow"].size(), 8u) << seen;
  for (auto& [name, r] : seen["reflow"].items())
    EXPECT_LE(r["scrollWidth"], r["clientWidth"]) << name << " at 400%: " << r;
  ASSERT_GE(seen["measures"].size(), 3u) << seen;
  EXPECT_EQ(seen["measures"][0], json::array({"Right first time (top-1)", "90.0 % of 40 photos"}))
      << seen["measures"];
  EXPECT_EQ(seen["confusions"], json::array({json::array({"apple", "banana", "2 of 20"})})) << seen;
  EXPECT_EQ(seen["axe"].size(), 12u + 16u + 1u) << seen["axe"];
  EXPECT_EQ(seen["german"],
            json({{"title", "Kasse"}, {"pay", "Bezahlen"}, {"basket", "Warenkorb"}}))
      << seen["german"];
  for (auto& [state, violations] : seen["axe"].items()) {
    EXPECT_TRUE(violations.empty()) << state << ": " << violations.dump(2);
    EXPECT_TRUE(fs::exists(shots / (state + ".png"))) << state;
  }

  // Guessing passwords: after five wrong ones the console makes the guesser wait.
  std::string host_port = console.substr(std::string("http://").size());
  host_port = host_port.substr(0, host_port.find('/'));
  httplib::Client http("http://" + host_port);
  int last = 0;
  std::string retry_after;
  for (int i = 0; i < 6; ++i) {
    auto r = http.Post("/console/api/login", R"({"user": "alice", "password": "guess"})",
                       "application/json");
    ASSERT_TRUE(r);
    last = r->status;
    retry_after = r->get_header_value("Retry-After");
  }
  EXPECT_EQ(last, 429);
  EXPECT_FALSE(retry_after.empty());
  // Even the right password waits now.
  auto r =
      http.Post("/console/api/login", R"({"user": "alice", "password": "correct horse battery"})",
                "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  // A form another site posts is not JSON, and a foreign page's request is refused.
  r = http.Post("/console/api/login", "user=alice&password=x", "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415);
  r = http.Post("/kiosk/command", {{"Origin", "http://shop.example"}}, R"({"command": "pay"})",
                "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
}

TEST(Screens, TheScreensServeTlsWhenGivenACertificateAndTheKioskCannotActAsStaff) {
  fs::path dir = fs::path(testing::TempDir()) / ("web-tls-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  // A self-signed certificate for 127.0.0.1, which is also its own CA.
  int status = -1;
  std::string out = run("cd " + dir.string() +
                            " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "
                            "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout web.key "
                            "-out web.pem 2>&1",
                        &status);
  ASSERT_EQ(status, 0) << out;
  write_web_only_lane(
      dir, {{"tls",
             {{"certFile", (dir / "web.pem").string()}, {"keyFile", (dir / "web.key").string()}}}});
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  std::string kiosk = kiosk_url(runtime);
  ASSERT_FALSE(kiosk.empty()) << runtime.cli("logs web");
  ASSERT_EQ(kiosk.rfind("https://127.0.0.1:", 0), 0u) << kiosk;
  std::string origin = kiosk.substr(0, kiosk.find('/', std::string("https://").size()));

  // Plain HTTP gets no page; a client that trusts the certificate does.
  httplib::Client plain("http://" + origin.substr(std::string("https://").size()));
  auto r = plain.Get("/kiosk");
  EXPECT_TRUE(!r || r->status != 200);
  httplib::Client https(origin);
  https.set_ca_cert_path((dir / "web.pem").c_str());
  https.enable_server_certificate_verification(true);
  r = https.Get("/kiosk");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);

  // The kiosk's own token lets it send only what the keypad could.
  std::smatch token;
  ASSERT_TRUE(std::regex_search(r->body, token,
                                std::regex(R"re(name="kiosk-token" content="([0-9a-f]{64})")re")));
  httplib::Headers with_token{{"X-Kiosk-Token", token[1].str()}};
  r = https.Post("/kiosk/command", with_token,
                 R"({"command": "quantity", "line": 1, "quantity": 50})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("one of answer, total, repeat, void-last, pay, cancel"), std::string::npos)
      << r->body;
  r = https.Post("/kiosk/command", with_token, R"({"command": "total"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  // No staff action answers without a session.
  for (const char* path : {"/console/api/twins", "/console/api/logs?module=web",
                           "/console/api/check", "/console/api/baskets"}) {
    r = https.Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << path;
  }
  r = https.Post("/console/api/twin", R"({"module": "web", "patch": {"port": 1}})",
                 "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);

  // A session outlives a restart of the module, and ends when its account is removed.
  std::string cli = std::string(CE_BINARY) + " --state-dir " + runtime.state().string();
  out = run("echo 'carol password 1' | " + cli + " staff add carol --password-stdin 2>&1", &status);
  ASSERT_EQ(status, 0) << out;
  r = https.Post("/console/api/login", R"({"user": "carol", "password": "carol password 1"})",
                 "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_FALSE(r->has_header("Set-Cookie")) << r->get_header_value("Set-Cookie");
  std::string session_token = nlohmann::json::parse(r->body).value("token", "");
  ASSERT_FALSE(session_token.empty()) << r->body;
  httplib::Headers with_session{{"Authorization", "Bearer " + session_token}};
  fs::path sessions = runtime.state() / "data/web/sessions.json";
  struct stat st {};
  ASSERT_EQ(stat(sessions.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(ce::read_file(sessions).find(session_token),
            std::string::npos);  // only its hash is kept
  int web_pid = runtime.module("web").value("pid", 0);
  runtime.cli("restart web");
  ASSERT_TRUE(eventually(
      [&] {
        int pid = runtime.module("web").value("pid", 0);
        auto again = https.Get("/console/api/session", with_session);
        return pid != web_pid && again && again->status == 200;
      },
      30s))
      << runtime.cli("logs web --tail 20");
  out = run(cli + " staff remove carol 2>&1", &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("sessions in the console have ended"), std::string::npos) << out;
  r = https.Get("/console/api/session", with_session);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;
  EXPECT_EQ(runtime.stop(), 0);
}

TEST(Screens, ARequestForAnotherNameOrFromAnotherSiteIsRefusedBeforeAnyRoute) {
  fs::path dir = fs::path(testing::TempDir()) / ("web-hosts-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_web_only_lane(dir, {{"hostNames", {"Lane3.Shop.Example"}}});
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  std::string kiosk = kiosk_url(runtime);
  ASSERT_FALSE(kiosk.empty()) << runtime.cli("logs web");
  std::string port = kiosk.substr(kiosk.rfind(':') + 1);
  port = port.substr(0, port.find('/'));
  httplib::Client http("127.0.0.1", std::stoi(port));

  // Its own names: the page and its token.
  auto r = http.Get("/kiosk");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  std::smatch token;
  ASSERT_TRUE(std::regex_search(r->body, token,
                                std::regex(R"re(name="kiosk-token" content="([0-9a-f]{64})")re")));
  const std::string kiosk_token = token[1].str();  // token points into r, which changes
  for (std::string name : {"localhost", "lane3.shop.example"}) {
    r = http.Get("/kiosk", {{"Host", name + ":" + port}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << name;
  }

  // DNS rebinding: evil.example now resolves to 127.0.0.1, so the page's
  // requests reach the lane with its own name in Host and Origin.
  std::string evil = "evil.example:" + port;
  httplib::Headers rebound{{"Host", evil}, {"Origin", "http://" + evil}};
  r = http.Get("/kiosk", {{"Host", evil}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 421);
  EXPECT_EQ(r->body.find(kiosk_token), std::string::npos);
  EXPECT_NE(r->body.find("hostNames"), std::string::npos) << r->body;
  httplib::Headers with_token = rebound;
  with_token.emplace("X-Kiosk-Token", kiosk_token);
  for (const char* command : {"pay", "cancel", "void-last"}) {
    r = http.Post("/kiosk/command", with_token, json{{"command", command}}.dump(),
                  "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 421) << command;
  }
  r = http.Get("/kiosk/events", {{"Host", evil}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 421);
  // The lane's own name, but a request from another site's page; and from its own.
  auto total_from = [&](const std::string& origin) {
    auto sent = http.Post("/kiosk/command", {{"Origin", origin}, {"X-Kiosk-Token", kiosk_token}},
                          R"({"command": "total"})", "application/json");
    return sent ? sent->status : -1;
  };
  EXPECT_EQ(total_from("http://evil.example:" + port), 403);
  EXPECT_EQ(total_from("null"), 403);
  EXPECT_EQ(total_from("http://127.0.0.1:" + port), 202);

  // A login that is not text is told so; a name with a newline forges no log line.
  int status = -1;
  std::string out = add_staff(runtime, "alice", "correct horse battery", &status);
  ASSERT_EQ(status, 0) << out;
  // Logins at once: one is checked, the others are told to come back, not
  // queued behind Argon2 on the threads the kiosk needs.
  std::vector<std::future<int>> logins;
  for (int i = 0; i < 6; ++i)
    logins.push_back(std::async(std::launch::async, [&] {
      httplib::Client each("127.0.0.1", std::stoi(port));
      auto sent = each.Post("/console/api/login", R"({"user": "carol", "password": "guess"})",
                            "application/json");
      return sent ? sent->status : -1;
    }));
  std::multiset<int> statuses;
  for (auto& l : logins) statuses.insert(l.get());
  EXPECT_GE(statuses.count(503), 1u) << "all waited their turn";
  EXPECT_EQ(statuses.count(401) + statuses.count(429) + statuses.count(503), 6u);
  for (const char* body : {R"({"user": 7, "password": "x"})", R"({"user": "alice"})",
                           R"({"user": "alice", "password": ["x"]})"}) {
    r = http.Post("/console/api/login", body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_NE(r->body.find("both text"), std::string::npos) << r->body;
  }
  r = http.Post("/console/api/login",
                json{{"user", "bob\nweb: alice logged in from 10.9.8.7"}, {"password", "x"}}.dump(),
                "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  std::string log;
  ASSERT_TRUE(eventually(
      [&] {
        log = runtime.cli("logs web");
        return log.find("failed staff login") != std::string::npos;
      },
      5s));
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);)
    if (line.find("alice logged in from 10.9.8.7") != std::string::npos)
      EXPECT_NE(line.find("failed staff login as \"bob\\nweb:"), std::string::npos) << line;

  // Wrong passwords slow the address that guessed, not alice everywhere.
  int last = 0;
  for (int i = 0; i < 6; ++i) {
    r = http.Post("/console/api/login", R"({"user": "alice", "password": "guess"})",
                  "application/json");
    ASSERT_TRUE(r);
    last = r->status;
  }
  EXPECT_EQ(last, 429);
  out =
      run("curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 -H 'Content-Type: "
          "application/json' -d '{\"user\": \"alice\", \"password\": \"correct horse "
          "battery\"}' http://127.0.0.1:" +
              port + "/console/api/login",
          &status);
  EXPECT_EQ(out, "200") << "alice, from another address, is let in";
  // A name longer than any staff name is refused before it is kept anywhere.
  r = http.Post("/console/api/login",
                json{{"user", std::string(100000, 'a')}, {"password", "x"}}.dump(),
                "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);

  // A large body is refused from its headers, before it is read, unless
  // staff send an enrollment's photos.
  for (const char* path : {"/kiosk/command", "/console/api/login", "/console/api/enroll"})
    EXPECT_EQ(answer_to_headers(std::stoi(port), std::string("POST ") + path +
                                                     " HTTP/1.1\r\nHost: 127.0.0.1:" + port +
                                                     "\r\nContent-Type: application/json\r\n"
                                                     "Content-Length: 60000000\r\n\r\n"),
              "HTTP/1.1 413 Payload Too Large")
        << path;
  EXPECT_EQ(answer_to_headers(std::stoi(port), "POST /kiosk/command HTTP/1.1\r\nHost: 127.0.0.1:" +
                                                   port + "\r\nTransfer-Encoding: chunked\r\n\r\n"),
            "HTTP/1.1 411 Length Required");
}

// A console session (a browser, or a session token stolen from one) changes twins
// and deploys built-in modules, but a deployment that would run a program
// takes the administrator's key, which only the lane's user reads.
TEST(Screens, AConsoleSessionChangesTwinsButNeverTheProgramsALaneRuns) {
  fs::path dir = fs::path(testing::TempDir()) / ("web-code-" + std::to_string(getpid()));
  std::unique_ptr<Runtime> lane;
  std::string port;
  ASSERT_NO_FATAL_FAILURE(start_web_only_lane(dir, lane, port));
  Runtime& runtime = *lane;
  int status = -1;
  std::string out = add_staff(runtime, "dana", "dana password 1", &status);
  ASSERT_EQ(status, 0) << out;
  httplib::Client http("127.0.0.1", std::stoi(port));
  auto r = http.Post("/console/api/login", R"({"user": "dana", "password": "dana password 1"})",
                     "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  httplib::Headers staff{
      {"Authorization", "Bearer " + json::parse(r->body)["token"].get<std::string>()},
      {"X-CSRF-Token", json::parse(r->body)["csrf"].get<std::string>()},
      {"Origin", "http://127.0.0.1:" + port}};

  r = http.Get("/console/api/deployment", staff);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  int web_pid = runtime.module("web").value("pid", 0);
  json manifest = json::parse(r->body)["manifest"];
  // A twin change deploys...
  json twin_change = manifest;
  twin_change["modulesContent"]["web"]["properties.desired"]["hostNames"] = {"lane7.local"};
  r = http.Post("/console/api/deploy", staff, json{{"manifest", twin_change}}.dump(),
                "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  // (A new hostNames restarts the web module; the session outlives it.)
  ASSERT_TRUE(eventually(
      [&] {
        if (runtime.module("web").value("pid", 0) == web_pid) return false;
        auto again = http.Get("/console/api/session", staff);
        return again && again->status == 200;
      },
      30s));
  // ...a program, a module's environment or the runtime's engine does not.
  fs::create_directories(dir / "out");
  fs::path ran = dir / "out/ran";
  json program = twin_change, env = twin_change, engine = twin_change;
  auto& modules = program["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"];
  modules["helper"] = {{"type", "process"},
                       {"status", "running"},
                       {"restartPolicy", "never"},
                       {"env", {{"OUT", {{"value", (dir / "out").string()}}}}},
                       {"settings", {{"command", {"/bin/sh", "-c", "touch \"$OUT/ran\""}}}}};
  env["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["web"]["env"] = {
      {"LD_PRELOAD", {{"value", "/tmp/evil.so"}}}};
  engine["modulesContent"]["$edgeAgent"]["properties.desired"]["runtime"]["settings"]
        ["containerEngine"] = ran.string();
  for (const json& m : {program, env, engine}) {
    r = http.Post("/console/api/deploy", staff, json{{"manifest", m}}.dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << r->body;
    EXPECT_NE(r->body.find("only the lane's administrator may deploy that"), std::string::npos)
        << r->body;
  }
  std::this_thread::sleep_for(1s);
  EXPECT_FALSE(fs::exists(ran));
  EXPECT_EQ(runtime.cli("list").find("helper"), std::string::npos);
  // (The administrator's `checkout-edge deploy` of programs: runtime_test.)
}

// Two hundred clients that never finish their headers (slowloris) hold a
// thread each, not the screens: the kiosk page still comes.
namespace {

// A connection from `from` that has sent `start`, or -1.
int started_from(const std::string& from, int port, const std::string& start) {
  int fd = connect_from(from, port);
  pollfd p{fd, POLLOUT, 0};
  if (fd < 0 || poll(&p, 1, 3000) != 1 ||
      send(fd, start.data(), start.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(start.size())) {
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

// What the server sent first within `wait`: its status line, "closed", or "".
std::string first_answer(int fd, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(wait.count())) != 1) return "";
  char buf[256];
  ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n <= 0) return "closed";
  std::string got(buf, static_cast<size_t>(n));
  return got.substr(0, got.find("\r\n"));
}

}  // namespace

// Slow clients hold a thread each, not the kiosk's, and only for as long as
// a request may take; one address holds a few connections, not all of them.
TEST(Screens, SlowClientsLeaveTheKioskAnsweringAndAreCutOff) {
  fs::path dir = fs::path(testing::TempDir()) / ("web-slow-" + std::to_string(getpid()));
  std::unique_ptr<Runtime> lane;
  std::string port_text;
  ASSERT_NO_FATAL_FAILURE(start_web_only_lane(dir, lane, port_text));
  int port = std::stoi(port_text);
  SlowClients slow(port, 160, 40);
  ASSERT_EQ(slow.connected(), 160u);
  // A login whose body drips a byte a second (each read well within the
  // read timeout, so only a deadline for the whole body ends it).
  std::string login_start = "POST /console/api/login HTTP/1.1\r\nHost: 127.0.0.1:" + port_text +
                            "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
  int dripping = started_from("127.0.2.1", port, login_start);
  ASSERT_GE(dripping, 0);
  std::atomic<bool> drip_done = false;
  std::thread drip([&] {
    while (!drip_done) {
      for (int i = 0; i < 10 && !drip_done; ++i) std::this_thread::sleep_for(100ms);
      (void)!send(dripping, " ", 1, MSG_NOSIGNAL);
    }
  });
  std::this_thread::sleep_for(3s);  // each has sent a line more
  // (How fast: bench/slow_clients.py. Held, it would wait as long as they do.)
  httplib::Client http("127.0.0.1", port);
  http.set_read_timeout(10, 0);
  auto r = http.Get("/kiosk");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);

  // 70 connections from one address: 64 are served, the rest told at once.
  std::vector<int> crowd;
  for (int i = 0; i < 70; ++i) {
    int fd = started_from("127.0.3.1", port, "GET /kiosk HTTP/1.1\r\n");
    if (fd >= 0) crowd.push_back(fd);
  }
  ASSERT_EQ(crowd.size(), 70u);
  std::this_thread::sleep_for(1s);
  int busy = 0;
  for (int fd : crowd) busy += first_answer(fd, 0ms) == "HTTP/1.1 503 Service Unavailable";
  EXPECT_EQ(busy, 70 - static_cast<int>(ce::ConnectionLimits{}.per_address));

  // Every slow request is cut off once its deadline (10 s) has passed.
  EXPECT_TRUE(eventually([&] { return slow.let_go() == slow.connected(); }, 15s))
      << slow.let_go() << " of " << slow.connected() << " slow clients let go";
  EXPECT_NE(first_answer(dripping, 5s), "") << "a body that drips is never cut off";
  drip_done = true;
  drip.join();
  close(dripping);
  for (int fd : crowd) close(fd);
}

namespace {

// An event stream opened from `from` and kept open (the socket goes to
// `open`); its status line, or "" when none came within 3 s.
std::string open_stream(int port, const std::string& path, const char* from,
                        const std::string& session, std::vector<int>& open) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{}, addr{};
  local.sin_family = addr.sin_family = AF_INET;
  inet_pton(AF_INET, from, &local.sin_addr);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval three{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &three, sizeof three);
  std::string head = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                     "\r\n" + (session.empty() ? "" : "Authorization: Bearer " + session + "\r\n") +
                     "\r\n";
  std::string got;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0 &&
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      send(fd, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size())) {
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) got.assign(buf, static_cast<size_t>(n));
  }
  open.push_back(fd);
  return got.substr(0, got.find("\r\n"));
}

}  // namespace

// Pages one client opens hold a few event streams, not the lane's: another
// address still gets its kiosk, and staff's console its own stream.
TEST(Screens, EventStreamsAreBoundedPerClientAndStaffKeepTheirs) {
  fs::path dir = fs::path(testing::TempDir()) / ("web-streams-" + std::to_string(getpid()));
  std::unique_ptr<Runtime> lane;
  std::string port_text;
  ASSERT_NO_FATAL_FAILURE(start_web_only_lane(dir, lane, port_text));
  int port = std::stoi(port_text);
  int status = -1;
  std::string out = add_staff(*lane, "erin", "erin password 1", &status);
  ASSERT_EQ(status, 0) << out;
  httplib::Client http("127.0.0.1", port);
  auto r = http.Post("/console/api/login", R"({"user": "erin", "password": "erin password 1"})",
                     "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  std::string session = json::parse(r->body)["token"];

  std::vector<int> open;
  int refused = 0;
  for (int i = 0; i < 20; ++i)
    refused += open_stream(port, "/kiosk/events", "127.0.0.1", "", open) ==
               "HTTP/1.1 503 Service Unavailable";
  EXPECT_EQ(refused, 20 - ce::StreamSlots::kKioskPerClient);
  EXPECT_EQ(open_stream(port, "/kiosk/events", "127.0.0.2", "", open), "HTTP/1.1 200 OK");
  EXPECT_EQ(open_stream(port, "/console/api/events", "127.0.0.1", session, open),
            "HTTP/1.1 200 OK");
  for (int fd : open) close(fd);
}

// Camera → barcodes → checkout → web → Chromium: a package rung up by its
// code shows the code read on its line, and no question.
TEST(Screens, APackageRungUpByItsCodeShowsTheCodeOnTheKiosk) {
  LaneSpec spec;
  spec.name = "code-kiosk";
  fs::path scratch = fs::path(testing::TempDir()) / ("code-kiosk-" + std::to_string(getpid()));
  fs::create_directories(scratch);
  spec.photo = photo_with_code(scratch, "400638133393");
  spec.catalogue = R"({"currency": "USD", "products": [
    {"id": "oat-1", "name": "Oat milk", "gtin": "4006381333931", "unitPrice": 199}]})";
  spec.threshold = 0.999;
  spec.checkout = {{"codeWaitMs", 300}};
  spec.barcodes = spec.web = spec.speech = true;
  spec.web_settings = {{"kioskAnnounces", false}};  // the lane's speakers say it
  spec.steps = json::array({{600000, 0}});
  fs::path dir = write_lane(spec);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  ASSERT_TRUE(place_when_up(runtime, 420, true)) << runtime.cli("twin barcodes");
  std::string kiosk;
  ASSERT_TRUE(eventually(
      [&] {
        json t = json::parse(runtime.cli("twin web"), nullptr, false);
        if (t.is_discarded() || !t["reported"].is_object()) return false;
        kiosk = t["reported"].value("kioskUrl", "");
        return !kiosk.empty();
      },
      30s))
      << runtime.cli("logs web");
  int status = -1;
  std::string out =
      run("cd " + std::string(CE_SOURCE_DIR) + "/tests/browser && timeout 120 node code_line.mjs " +
              kiosk + " " + (fs::path(CE_BINARY_DIR) / "screenshots").string() + " 2>&1",
          &status);
  json seen = script_output(out);
  ASSERT_FALSE(seen.is_discarded()) << out;
  ASSERT_EQ(status, 0) << out << runtime.cli("logs checkout --tail 10");
  EXPECT_EQ(seen["line"][0], "Oat milk Barcode 4006381333931") << seen;
  EXPECT_EQ(seen["code"], "Barcode 4006381333931") << seen;
  EXPECT_EQ(seen["line"][2], "$1.99") << seen;
  EXPECT_FALSE(seen["question"].get<bool>()) << seen;
  EXPECT_EQ(seen["saidLive"], "off") << seen;  // not said a second time by the screen reader
  EXPECT_TRUE(seen["axe"].empty()) << seen;
}

// The kiosk along the shopper's path, items placed and lifted through the
// scale's twin: the step it shows is always the checkout's (a refused
// payment, a withdrawn question, the checkout down), focus goes where the
// shopper is, and axe-core passes in every state.
TEST(Screens, TheKioskAlwaysShowsTheStepTheCheckoutIsAt) {
  LaneSpec spec;
  spec.name = "kiosk-steps";
  spec.steps = json::array({{600000, 0}});  // nothing on the scale until the test places it
  spec.threshold = 0.999;                   // every scan is a question
  spec.speech = spec.web = true;
  spec.runtime = {{"heartbeatTimeoutMs", 4000}};
  fs::path dir = write_lane(spec);
  Runtime runtime(dir / "state", dir / "deployment.json");
  runtime.start();
  ASSERT_TRUE(runtime.started());
  std::string kiosk = kiosk_url(runtime);
  ASSERT_FALSE(kiosk.empty()) << runtime.cli("logs web");
  int status = -1;
  std::string out =
      run("cd " + std::string(CE_SOURCE_DIR) + "/tests/browser && CE_CLI='" + CE_BINARY +
              " --state-dir " + runtime.state().string() +
              "' CE_CHECKOUT_PID=" + std::to_string(runtime.module("checkout").value("pid", 0)) +
              " timeout 240 node kiosk_steps.mjs " + kiosk + " " +
              (fs::path(CE_BINARY_DIR) / "screenshots").string() + " 2>&1",
          &status);
  json seen = script_output(out);
  ASSERT_FALSE(seen.is_discarded()) << out;
  ASSERT_EQ(status, 0) << out << runtime.cli("logs checkout --tail 20");

  EXPECT_EQ(seen["idleStep"], "Place an item on the scale.") << seen;
  // The question takes the focus; an answer leaves it on what the lane says.
  EXPECT_EQ(seen["focusOnQuestion"], "choice 1") << seen;
  EXPECT_EQ(seen["questionStep"], "Choose which item is on the scale.") << seen;
  EXPECT_EQ(seen["caption"], "Choose which item is on the scale.") << seen;
  EXPECT_EQ(seen["photoAlt"], "") << seen;  // the caption says it, once
  EXPECT_EQ(seen["focusAfterAnswer"], "said") << seen;
  EXPECT_EQ(seen["captionAfterAnswer"], "Rung up as Banana") << seen;  // the product, not the tag
  // Paying while the second item's question is open: refused, nothing dropped.
  EXPECT_NE(seen["payDialogWithQuestion"].get<std::string>().find("$1.26"), std::string::npos)
      << seen;
  EXPECT_NE(seen["payDialogWithQuestion"].get<std::string>().find("answer its question first"),
            std::string::npos)
      << seen;
  EXPECT_NE(seen["payHow"].get<std::string>().find("Enter twice"), std::string::npos) << seen;
  EXPECT_EQ(seen["refused"].get<std::string>().rfind("Not paid: ", 0), 0u) << seen;
  EXPECT_EQ(seen["linesAfterRefusal"], json::array({"Banana"})) << seen;
  EXPECT_TRUE(seen["questionAfterRefusal"].get<bool>()) << seen;
  // The dialog's total follows the basket.
  EXPECT_NE(seen["dialogBefore"].get<std::string>().find("$1.26"), std::string::npos) << seen;
  EXPECT_NE(seen["dialogAfter"].get<std::string>().find("$2.52"), std::string::npos) << seen;
  EXPECT_EQ(seen["focusAfterPaying"], "receipt") << seen;
  ASSERT_EQ(seen["receiptRows"].size(), 2u) << seen;
  EXPECT_EQ(seen["receiptRows"][0], json::array({"Banana", "0.420 kg", "$1.26"})) << seen;
  EXPECT_EQ(seen["receiptTotal"], json::array({"Total", "", "$2.52"})) << seen;
  EXPECT_EQ(seen["zoomedLine"]["broken"], json::array()) << seen;  // "Banan a" at 400%
  EXPECT_LE(seen["zoomedLine"]["scrollWidth"], 320) << seen;
  EXPECT_EQ(seen["zoomedWords"]["broken"], json::array()) << seen;
  EXPECT_LE(seen["zoomedWords"]["scrollWidth"], 320) << seen;
  // Lifted while asked: the question goes from the screen.
  EXPECT_EQ(seen["choicesLeft"], 0) << seen;
  EXPECT_NE(seen["saidAfterLift"].get<std::string>().find("question is withdrawn"),
            std::string::npos)
      << seen;
  // The history's scroll region is in the tab order once it overflows.
  EXPECT_GE(seen["history"]["items"], 20) << seen;
  EXPECT_TRUE(seen["history"]["overflows"].get<bool>()) << seen;
  EXPECT_EQ(seen["history"]["tabIndex"], 0) << seen;
  // Down, scrolled to the end: on screen, said once, every action disabled.
  EXPECT_GT(seen["down"]["scrollY"], 0) << seen;
  EXPECT_TRUE(seen["down"]["noticeOnScreen"].get<bool>()) << seen;
  EXPECT_TRUE(seen["down"]["payOnScreen"].get<bool>()) << seen;
  EXPECT_EQ(seen["down"]["disabled"], json::array({"pay", "total-button", "repeat", "cancel"}))
      << seen;
  EXPECT_EQ(seen["down"]["connection"], "Checkout not answering") << seen;
  EXPECT_FALSE(seen["down"]["saidIsNotice"].get<bool>()) << seen;
  EXPECT_TRUE(seen["enabledAgain"].get<bool>()) << seen;
  for (auto& [state, violations] : seen["axe"].items())
    EXPECT_TRUE(violations.empty()) << state << ": " << violations.dump(2);
}
