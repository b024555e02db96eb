// `demo`: the whole system on the built-in configuration: real photos from
// the shared dataset, a simulated scale, a model trained on the store photos.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "checkout-edge/module.h"
#include "cli/commands.h"
#include "cli/paths.h"
#include "cli/shared_files.h"
#include "common/stop_signal.h"
#include "hub/hub_client.h"
#include "hub/topics.h"
#include "modules/modules.h"
#include "runtime/agent.h"
#include "runtime/hub_identities.h"
#include "sim/scenario.h"

namespace fs = std::filesystem;

namespace ce {

namespace {

bool port_is_free(const std::string& host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;
  int yes = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  bool free = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return free;
}

std::string money(long long minor) {
  std::ostringstream s;
  s << "$" << minor / 100 << "." << std::setw(2) << std::setfill('0') << minor % 100;
  return s.str();
}

// The demo's model comes from `checkout-edge train`, like a store's would:
// on the first run it is trained on the Grocery Store train photos of the
// demo's products (the scenario's photos are from val, never trained on),
// and kept in the state folder for the next runs.
std::string ensure_demo_model(const StateDir& state, const std::string& shared,
                              const nlohmann::json& scenario) {
  fs::path package = state.root / "models" / "demo-grocery";
  if (fs::exists(package / "package.json")) return package.string();
  fs::path data = state.root / "models" / "demo-grocery-data";
  fs::remove_all(data);
  for (const auto& item : scenario["items"]) {
    fs::path val_image = item["image"].get<std::string>();  // val/Fruit/Banana/Banana_001.jpg
    std::string tag = val_image.parent_path().filename().string();
    std::string rel = val_image.parent_path().string();
    if (rel.rfind("val/", 0) == 0) rel.replace(0, 3, "train");
    fs::path train_dir = fs::path(shared) / "datasets/grocery-store" / rel;
    if (fs::exists(data / tag) || !fs::is_directory(train_dir)) continue;
    fs::create_directories(data / tag);
    for (auto& e : fs::directory_iterator(train_dir))
      fs::create_symlink(e.path(), data / tag / e.path().filename());
  }
  std::cout << "Training the demo's model on the store's photos of its products (once; kept in "
            << package.string() << ")\n";
  std::string program =
      (fs::path(self_executable()).parent_path() / "checkout-edge-train").string();
  std::vector<std::string> args{program, "train", "--data", data.string(), "--out",
                                (package.string() + ".partial"), "--name", "demo-grocery",
                                "--epochs", "6",
                                // The demo's six products need no more: the
                                // budget's plan could take longer ones.
                                "--views", "2", "--fine-tune", "2", "--augment", "crop",
                                // The default backbones, from where the demo found its files.
                                "--backbone",
                                shared +
                                    "/models/imagenet-mobilenets-tflite/"
                                    "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite," +
                                    shared +
                                    "/models/imagenet-mobilenets-tflite/"
                                    "mobilenet_edgetpu_0.75_224_post_training_quant.tflite"};
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t none;  // Ctrl-C reaches the training too
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("training the demo's model failed (see above); is " + program +
                             " built?");
  fs::remove_all(package);
  fs::rename(package.string() + ".partial", package);  // only a finished package counts
  std::cout << "\n";
  return package.string();
}

// The same lane, each module in a container of the image (`type: docker`):
// the shared photos and models are bound read-only at the same path, the
// state folder (models, journal, WAVs) by the runtime.
void run_modules_in_containers(nlohmann::json& manifest, const std::string& image,
                               const std::string& shared) {
  auto& modules = manifest["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"];
  for (auto& [name, m] : modules.items()) {
    std::string builtin = m["settings"].value("module", name);
    m["type"] = "docker";
    m["settings"] = {
        {"image", image},
        {"createOptions",
         {{"Cmd", {builtin}}, {"HostConfig", {{"Binds", {shared + ":" + shared + ":ro"}}}}}}};
  }
}

}  // namespace

int demo_command(const StateDir& state, const DemoOptions& options) {
  // ../shared, or the cache with what it lacked fetched from the origins.
  std::string shared =
      folder_with_shared_files("demo", resolve_shared_dir(options.shared), std::cout);

  // The demo's configuration is built in; write it out so that the runtime
  // reads it like any other deployment, and the user can see it.
  fs::path dir = state.root / "demo";
  fs::create_directories(dir);
  auto scenario_json = nlohmann::json::parse(embedded_scenario_json);
  if (options.items > 0 && static_cast<size_t>(options.items) < scenario_json["items"].size())
    scenario_json["items"].erase(scenario_json["items"].begin() + options.items,
                                 scenario_json["items"].end());
  write_file_atomically(dir / "deployment.json", embedded_deployment_json);
  write_file_atomically(dir / "catalogue.json", embedded_catalogue_json);
  write_file_atomically(dir / "demo-scenario.json", scenario_json.dump(2));
  if (!options.keep_basket) {
    for (const char* f :
         {"journal.db", "journal.db-wal", "journal.db-shm", "journal.db.basket-mark"})
      fs::remove(state.data_dir("checkout") / f);
    fs::remove_all(state.root / "wav");
  }
  std::string model =
      ensure_demo_model(state, shared, nlohmann::json::parse(embedded_scenario_json));
  nlohmann::json manifest = read_manifest_file(
      (dir / "deployment.json").string(), {{"SHARED", shared}, {"STATE_DIR", state.root.string()}});
  manifest["modulesContent"]["classifier"]["properties.desired"]["model"] = {{"package", model}};
  if (!options.image.empty()) run_modules_in_containers(manifest, options.image, shared);
  // The screens on their usual port, or any free one when it is taken.
  auto& web = manifest["modulesContent"]["web"]["properties.desired"];
  if (web.is_object() && !port_is_free(web.value("host", "127.0.0.1"), web.value("port", 8090)))
    web["port"] = 0;
  parse_manifest(manifest);  // fail here, before anything starts
  Scenario scenario = Scenario::load((dir / "demo-scenario.json").string());

  std::cout << "Checkout Edge demo: " << scenario.items.size()
            << " items from the Grocery Store photos in " << shared
            << "\nEach item is placed on the (simulated) scale, recognised, priced and spoken.\n\n";

  std::promise<int> ready;
  long long started = now_ms();
  std::thread agent([&] {
    try {
      run_agent(manifest, {state, self_executable(), "built-in demo",
                           [&](int port) { ready.set_value(port); }, check_builtin_settings});
    } catch (...) {
      try {
        ready.set_exception(std::current_exception());
      } catch (...) {
      }
      request_stop();
    }
  });
  int port;
  try {
    port = ready.get_future().get();
  } catch (...) {
    agent.join();
    throw;
  }

  std::mutex mutex;
  nlohmann::json basket;
  int sentences = 0, spoken = 0, silent = 0;
  bool audio_device = false, kiosk_shown = false;
  std::vector<std::string> wavs;
  HubClient monitor("demo-monitor", "127.0.0.1", port, admin_login(state));
  monitor.connect();
  monitor.subscribe(topics::output("checkout", "sentence"), [&](auto&, const Message& m) {
    std::lock_guard lock(mutex);
    ++sentences;
    std::cout << "  says: \"" << m.json().value("text", "") << "\"" << std::endl;
  });
  monitor.subscribe(topics::output("checkout", "basket"), [&](auto&, const Message& m) {
    std::lock_guard lock(mutex);
    basket = m.json();
    if (!basket["lines"].empty())
      std::cout << "        basket: " << basket["lines"].size() << " lines, total "
                << money(basket["totalMinor"]) << std::endl;
  });
  monitor.subscribe(topics::output("speech", "spoken"), [&](auto&, const Message& m) {
    std::lock_guard lock(mutex);
    auto j = m.json();
    if (j.contains("event")) return;  // a (re)started speech module says so here; not a sentence
    ++spoken;
    if (j.value("rms", 0.0) < 1.0) ++silent;
    if (j.contains("wav")) wavs.push_back(j["wav"]);
  });
  monitor.subscribe(topics::reported("web"), [&](auto&, const Message& m) {
    std::lock_guard lock(mutex);
    auto j = nlohmann::json::parse(m.body, nullptr, false);
    if (j.is_object() && j.contains("kioskUrl") && !kiosk_shown) {
      kiosk_shown = true;
      std::cout << "  The kiosk's screen: " << j["kioskUrl"].get<std::string>()
                << " (open it in a browser while the demo runs)" << std::endl;
    }
  });
  monitor.subscribe(topics::reported("speech"), [&](auto&, const Message& m) {
    std::lock_guard lock(mutex);
    audio_device = m.json().value("audio", false);
  });

  // Let the scenario play out, then give speech a moment to finish.
  long long end = started + scenario.duration_ms();
  while (now_ms() < end && !wait_for_stop(std::chrono::milliseconds(100))) {
  }
  for (int i = 0; i < 50 && !stop_requested(); ++i) {
    {
      std::lock_guard lock(mutex);
      if (spoken >= sentences) break;
    }
    wait_for_stop(std::chrono::milliseconds(100));
  }
  bool interrupted = stop_requested();
  request_stop();
  agent.join();

  std::lock_guard lock(mutex);
  std::cout << "\nBasket" << (interrupted ? " (demo interrupted)" : "") << ":\n";
  if (basket.is_null() || basket["lines"].empty()) {
    std::cout << "  (empty)\n";
  } else {
    for (auto& l : basket["lines"]) {
      std::ostringstream qty;
      if (l.value("byWeight", true))
        qty << l["grams"].get<long long>() << " g @ " << money(l["unitPriceMinor"]) << "/kg";
      else
        qty << l["quantity"].get<long long>() << " @ " << money(l["unitPriceMinor"]);
      std::cout << "  " << std::setw(3) << l["line"].get<long long>() << "  " << std::left
                << std::setw(22) << l["name"].get<std::string>() << std::setw(22) << qty.str()
                << std::right << std::setw(9) << money(l["priceMinor"]) << "\n";
    }
    std::cout << "  Total" << std::setw(53) << money(basket["totalMinor"]) << "\n";
  }
  std::cout << "\n" << spoken << " announcements spoken";
  if (!wavs.empty())
    std::cout << ", written as WAV files to " << fs::path(wavs.front()).parent_path().string();
  std::cout << (audio_device ? " and played on the audio device" : " (no audio device opened)")
            << ".\n";
  if (silent) std::cout << "Warning: " << silent << " announcements were silent.\n";
  std::cout << "Logs: checkout-edge --state-dir " << state.root.string() << " logs MODULE\n";
  return interrupted ? 130 : 0;
}

}  // namespace ce
