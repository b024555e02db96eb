// The frame flood of issue 14: the shipped lane (config/deployment.json)
// with its camera at FPS frames a second, gated or not, and a shopper
// placing an item every 3 s for SECONDS. Prints how far predictions lag
// behind their frames, how many placements were rung up, and every
// process's resident memory at the start and at the end.
//   build/bench/bench_frame_flood SECONDS FPS gated|ungated [SHARED_DIR]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/files.h"
#include "hub/hub_client.h"
#include "modules/checkout/journal.h"
#include "runtime/hub_identities.h"
#include "runtime/manifest.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

long long rss_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long long value = 0;
  while (in >> key)
    if (key == "VmRSS:") return in >> value, value;
  return 0;
}

json agent(const fs::path& state) {
  try {
    return json::parse(ce::read_file(state / "agent.json"));
  } catch (...) {
    return json::object();
  }
}

std::map<std::string, long long> memory(const fs::path& state) {
  std::map<std::string, long long> out;
  json a = agent(state);
  if (a.value("pid", 0) > 0) out["(runtime)"] = rss_kb(a["pid"]);
  for (auto& m : a.value("modules", json::array()))
    if (m.value("pid", 0) > 0) out[m["name"]] = rss_kb(m["pid"]);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s SECONDS FPS gated|ungated [SHARED_DIR]\n", argv[0]);
    return 2;
  }
  int seconds = std::atoi(argv[1]);
  double fps = std::atof(argv[2]);
  bool gated = std::string(argv[3]) == "gated";
  std::string shared = argc > 4 ? argv[4] : CE_DEFAULT_SHARED;
  fs::path dir = fs::temp_directory_path() / ("ce-frame-flood-" + std::to_string(getpid()));
  fs::create_directories(dir);

  // The demo's photos, placed one after another (2 s on, 1 s off) for the whole run.
  json scenario = json::parse(ce::read_file(CE_SOURCE_DIR "/config/demo-scenario.json"));
  json items = scenario["items"];
  long long per_item = scenario["itemMs"].get<long long>() + scenario["gapMs"].get<long long>();
  int placements =
      static_cast<int>((seconds * 1000LL - scenario["leadInMs"].get<long long>()) / per_item);
  scenario["items"] = json::array();
  for (int i = 0; i < placements; ++i) scenario["items"].push_back(items[i % items.size()]);
  std::ofstream(dir / "demo-scenario.json") << scenario.dump();
  fs::copy_file(CE_SOURCE_DIR "/config/catalogue.json", dir / "catalogue.json");
  json m = ce::read_manifest_file(CE_SOURCE_DIR "/config/deployment.json",
                                  {{"SHARED", shared}, {"STATE_DIR", (dir / "state").string()}});
  auto& content = m["modulesContent"];
  content["camera"]["properties.desired"]["scenario"] = (dir / "demo-scenario.json").string();
  content["camera"]["properties.desired"]["fps"] = fps;
  content["camera"]["properties.desired"]["sceneGating"] = gated;
  content["scale"]["properties.desired"]["scenario"] = (dir / "demo-scenario.json").string();
  content["checkout"]["properties.desired"]["catalogue"] = (dir / "catalogue.json").string();
  content["speech"]["properties.desired"]["device"] = "clock";
  content["speech"]["properties.desired"].erase("wavDir");
  std::ofstream(dir / "deployment.json") << m.dump(2);

  fs::path state = dir / "state";
  pid_t runtime = fork();
  if (runtime == 0) {
    if (!freopen((dir / "runtime.log").c_str(), "w", stderr)) _exit(126);
    if (!freopen("/dev/null", "w", stdout)) _exit(126);
    execl(CE_BINARY, CE_BINARY, "--state-dir", state.c_str(), "run", "--manifest",
          (dir / "deployment.json").c_str(), nullptr);
    _exit(127);
  }
  for (int i = 0; i < 200 && agent(state).value("pid", 0) != runtime; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ce::HubClient hub("bench-" + std::to_string(getpid()), "127.0.0.1",
                    agent(state).value("hubPort", 0), ce::admin_login(ce::StateDir{state}));
  hub.connect();
  std::mutex mutex;
  std::vector<long long> lag;
  hub.subscribe("modules/classifier/outputs/predictions",
                [&](const std::string&, const ce::Message& p) {
                  long long captured = std::atoll(p.property("captureTime").c_str());
                  std::lock_guard lock(mutex);
                  if (captured > 0) lag.push_back(ce::now_ms() - captured);
                });
  std::this_thread::sleep_for(std::chrono::seconds(10));  // every module loaded
  auto start = memory(state);
  std::this_thread::sleep_for(std::chrono::seconds(std::max(0, seconds - 10)));
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the last item's decision
  auto end = memory(state);
  kill(runtime, SIGTERM);
  waitpid(runtime, nullptr, 0);

  ce::Journal journal((state / "data/checkout/journal.db").string());
  int lines = static_cast<int>(journal.lines().size()), decided = 0;
  for (auto& e : journal.events()) {
    std::string kind = e["kind"];
    decided +=
        kind == "add" || kind == "question" || kind == "not-recognised" || kind == "check-weight";
  }
  std::sort(lag.begin(), lag.end());
  auto pct = [&](double q) {
    return lag.empty() ? -1 : lag[std::min(lag.size() - 1, static_cast<size_t>(q * lag.size()))];
  };
  std::printf("%s, camera %.0f fps, %d s: %d placements, %d decided, %d rung up\n",
              gated ? "gated" : "ungated", fps, seconds, placements, decided, lines);
  std::printf("prediction lag behind its frame: n=%zu p50 %lld ms, p95 %lld ms, max %lld ms\n",
              lag.size(), pct(0.5), pct(0.95), lag.empty() ? -1 : lag.back());
  std::printf("%-12s %12s %12s\n", "process", "RSS start", "RSS end");
  for (auto& [name, kb] : end)
    std::printf("%-12s %9lld kB %9lld kB\n", name.c_str(), start[name], kb);
  fs::remove_all(dir);
  return 0;
}
