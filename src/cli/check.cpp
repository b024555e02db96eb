// `check`: is this lane ready to run? One line per check, ok / warning /
// error, and with --verbose how to fix each problem.
#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>

#include "cli/commands.h"
#include "cli/runtime_connection.h"
#include "modules/checkout/catalogue.h"
#include "modules/checkout/damaged_journal.h"
#include "modules/classifier/model.h"
#include "modules/modules.h"
#include "modules/speech/audio_out.h"
#include "modules/speech/voice.h"
#include "runtime/agent.h"
#include "runtime/broker.h"
#include "runtime/container.h"
#include "runtime/manifest.h"
#include "runtime/module_sandbox.h"

namespace ce {

namespace {

namespace fs = std::filesystem;

struct CheckResult {
  std::string name, status, detail, fix;
};

class Checks {
 public:
  void ok(std::string name, std::string detail) {
    results.push_back({std::move(name), "ok", std::move(detail), ""});
  }
  void warn(std::string name, std::string detail, std::string fix) {
    results.push_back({std::move(name), "warning", std::move(detail), std::move(fix)});
  }
  void error(std::string name, std::string detail, std::string fix) {
    results.push_back({std::move(name), "error", std::move(detail), std::move(fix)});
  }
  std::vector<CheckResult> results;
};

void check_clock(Checks& c) {
  time_t now = time(nullptr);
  tm t{};
  gmtime_r(&now, &t);
  char text[32];
  strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &t);
  if (t.tm_year + 1900 < 2024 || t.tm_year + 1900 > 2100)
    c.error("clock", std::string("the clock says ") + text,
            "set the time (timedatectl set-ntp true, or date -s): receipts, journal times, "
            "message time-to-live and TLS certificates depend on it");
  else
    c.ok("clock", text);
}

// `name`: the check's name; the state folder's disk, or a journal's (it
// may be on another disk than the state folder).
void check_disk(Checks& c, const fs::path& state_root, const std::string& name = "disk") {
  fs::path p = state_root;
  while (!p.empty() && !fs::exists(p)) p = p.parent_path();
  struct statvfs st {};
  if (statvfs(p.empty() ? "/" : p.c_str(), &st) != 0) {
    c.warn(name, "cannot read free space of " + p.string(), "check that the folder exists");
    return;
  }
  long long free_mb = static_cast<long long>(st.f_bavail) * st.f_frsize / (1024 * 1024);
  std::string detail = std::to_string(free_mb) + " MB free for " + state_root.string();
  std::string fix =
      "free space on that disk, or move the state folder (--state-dir): the basket journal, "
      "logs and the upstream queue live there";
  if (free_mb < 100)
    c.error(name, detail, fix);
  else if (free_mb < 1024)
    c.warn(name, detail, fix);
  else
    c.ok(name, detail);
}

void check_broker(Checks& c, const StateDir& state) {
  try {
    std::string exe = find_mosquitto();
    auto agent = running_agent(state);
    if (!agent) {
      c.warn("broker", exe + " is installed; the runtime is not running",
             "start it: checkout-edge run --manifest FILE");
      return;
    }
    connect_to_runtime(state);
    c.ok("broker", "hub reachable on 127.0.0.1:" + std::to_string(agent->value("hubPort", 0)));
  } catch (const std::exception& e) {
    c.error("broker", e.what(),
            "install mosquitto (scripts/install-deps.sh), then restart the runtime; "
            "`checkout-edge logs edgeHub` shows why the broker stopped");
  }
}

bool executable(const std::string& program) { return !find_program(program).empty(); }

// A container module needs its engine and its image on this machine
// (`--pull never`: a lane does not fetch images by itself).
void check_container(Checks& c, const ModuleSpec& m, const std::string& engine) {
  std::string program = find_program(engine);
  if (program.empty()) {
    c.error(m.name + " container", engine + " is not installed",
            "apt-get install podman (or docker.io), or set runtime.settings.containerEngine");
    return;
  }
  std::string command =
      program + " image inspect --format '{{.Id}}' '" + m.container->image + "' >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0)
    c.error(m.name + " container", "the image " + m.container->image + " is not on this machine",
            "build it (scripts/package.sh makes localhost/checkout-edge:VERSION) or pull it "
            "with `" +
                engine + " pull`");
  else
    c.ok(m.name + " container", m.container->image + " (" + engine + ")");
}

void check_camera(Checks& c, const ModuleSpec& m) {
  const auto& d = m.desired;
  std::string name = m.name + " source";
  auto exists = [&](const std::string& key) {
    std::string path = d[key].get<std::string>();
    if (fs::exists(path)) return true;
    c.error(name, key + " " + path + " does not exist",
            "fix " + m.name + "'s desired property '" + key + "' in the manifest");
    return false;
  };
  if (d.contains("scenario") && d["scenario"].is_string()) {
    if (exists("scenario") && (!d.contains("imagesRoot") || exists("imagesRoot")))
      c.ok(name, "simulated from " + d["scenario"].get<std::string>());
    return;
  }
  std::string source = d.contains("source")
                           ? (d["source"].is_string() ? d["source"].get<std::string>()
                                                      : "/dev/video" + d["source"].dump())
                           : "/dev/video0";
  if (source.rfind("http", 0) == 0 || source.rfind("rtsp", 0) == 0) {
    c.ok(name, "network camera " + source + " (reached at start)");
    return;
  }
  if (!fs::exists(source)) {
    c.error(name, source + " is not there",
            "plug the camera in (ls /dev/video*), or set " + m.name +
                "'s desired property 'source' to the right device, folder or video file");
    return;
  }
  if (source.rfind("/dev/", 0) == 0) {
    int fd = open(source.c_str(), O_RDWR | O_NONBLOCK);
    if (fd < 0) {
      c.error(name, source + " cannot be opened: " + strerror(errno),
              "add the user to the 'video' group (usermod -aG video $USER) or check that no "
              "other program holds the camera");
      return;
    }
    close(fd);
  }
  c.ok(name, source + " readable");
}

void check_audio(Checks& c, const ModuleSpec& m) {
  std::string device = m.desired.value("device", "default");
  std::string wav_dir = m.desired.value("wavDir", "");
  std::string name = m.name + " audio";
  if (device == "none") {
    c.ok(name, "audio output disabled");
    return;
  }
  AudioOut out(device);
  std::atomic<bool> no_interrupt{false};
  Playback probe = out.play(Pcm{16000, std::vector<int16_t>(160, 0)}, no_interrupt);
  std::string error = probe.error;
  if (probe.ok) {
    c.ok(name, "device '" + device + "' opens");
    return;
  }
  std::string fix =
      "connect a speaker or headphones and pick the device with `aplay -L` (desired "
      "property 'device'); a shopper who cannot see the screen depends on it";
  if (!wav_dir.empty())
    c.warn(name, error + "; speech only goes to WAV files in " + wav_dir, fix);
  else
    c.error(name, error + "; nothing will be heard", fix);
}

// A shopper who cannot see the screen answers with the keypad; staff and
// shoppers scan packages with the scanner.
void check_input_device(Checks& c, const ModuleSpec& m, const std::string& what) {
  std::string name = m.name + " device";
  std::string device = m.desired.value("device", "");
  if (device.empty()) {
    c.error(name, "no device is set",
            "set " + m.name + "'s desired property 'device' (ls /dev/input/by-id/*-event-kbd)");
    return;
  }
  int fd = open(device.c_str(), O_RDONLY | O_NONBLOCK);
  if (fd < 0) {
    c.error(name, "cannot open " + device + ": " + std::strerror(errno),
            errno == EACCES
                ? "add the user to the 'input' group (usermod -aG input $USER)"
                : "plug the " + what +
                      " in (ls /dev/input/by-id/*-event-kbd /dev/ttyACM*) or fix 'device'");
    return;
  }
  close(fd);
  c.ok(name, device + " readable");
}

// Each locale the lane speaks needs its voice before the first shopper does.
void check_voices(Checks& c, const ModuleSpec& m) {
  std::string lane = m.desired.value("locale", "en-US");
  auto locales = m.desired.value("locales", std::vector<std::string>{lane});
  auto chosen = m.desired.value("voices", std::map<std::string, std::string>{});
  for (const std::string& locale : locales) {
    std::string spec = chosen.count(locale) ? chosen[locale] : default_voice_for(locale);
    try {
      open_voice(spec);
      c.ok(m.name + " voice " + locale, spec);
    } catch (const VoiceError& e) {
      c.error(m.name + " voice " + locale, e.what(),
              "install the engine's voice, or set desired property voices." + locale);
    }
  }
}

void check_modules(Checks& c, const Deployment& d, const std::string& self) {
  for (auto& m : d.modules) {
    if (m.container) {
      check_container(c, m, d.runtime.container_engine);
    } else {
      std::string program = m.command.empty() ? self : m.command.front();
      if (!executable(program))
        c.error(m.name + " program", program + " is missing or not executable",
                "install the module's program or fix settings.command in the manifest");
      else
        c.ok(m.name + " program", m.command.empty() ? "built-in module " + m.builtin : program);
    }
    if (!m.builtin.empty()) {
      try {
        check_builtin_settings(m.builtin, m.desired);
        c.ok(m.name + " settings", "as the module reads them");
      } catch (const std::exception& e) {
        c.error(m.name + " settings", e.what(),
                "fix the module's desired properties in the manifest (or `checkout-edge twin " +
                    m.name + " --set ...`)");
      }
    }
    if (m.builtin == "camera") check_camera(c, m);
    if (m.builtin == "keypad") check_input_device(c, m, "keypad");
    if (m.builtin == "scanner") check_input_device(c, m, "scanner");
    if (m.builtin == "speech") {
      check_audio(c, m);
      check_voices(c, m);
    }
    if (m.builtin == "classifier") {
      try {
        Model model = Model::load(m.desired.at("model"));
        c.ok(m.name + " model", model.file() + " loads (" + std::to_string(model.labels().size()) +
                                    " tags, version " + model.version() + ")");
      } catch (const std::exception& e) {
        c.error(m.name + " model", e.what(),
                "point the classifier's desired property 'model' at a model package that "
                "`checkout-edge check` can load");
      }
    }
    if (m.builtin == "checkout") {
      try {
        Catalogue cat = Catalogue::load(m.desired.at("catalogue").get<std::string>());
        c.ok(m.name + " catalogue", std::to_string(cat.products.size()) + " products");
      } catch (const std::exception& e) {
        c.error(m.name + " catalogue", e.what(), "fix the catalogue file the message names");
      }
    }
  }
  // Speech tells the checkout what was heard: without that route a line is
  // never announced, and a restarted speech module's lost sentences are not said again.
  bool to_speech = false, heard = false;
  for (const Route& r : d.routes) {
    to_speech |=
        r.from_module == "checkout" && (r.from_output == "sentence" || r.from_output == "*");
    heard |= r.from_module == "speech" && r.to_module == "checkout" && r.to_input == "spoken";
  }
  if (to_speech && !heard)
    c.warn("spoken route",
           "the checkout's sentences go to speech, but speech's output 'spoken' does "
           "not come back to the checkout",
           "add the route FROM /messages/modules/speech/outputs/spoken INTO "
           "BrokeredEndpoint(\"/modules/checkout/inputs/spoken\")");
  if (!d.upstream.host.empty()) {
    if (!d.upstream.password_env.empty() && !std::getenv(d.upstream.password_env.c_str()))
      c.error("upstream", "the environment variable " + d.upstream.password_env + " is not set",
              "set it in the environment the runtime starts in");
    else
      c.ok("upstream", d.upstream.host + ":" + std::to_string(d.upstream.port) +
                           " (messages wait on disk while it is away)");
  }
}

// A journal SQLite cannot trust stops the lane taking baskets; the fix is
// a staff command, not a new file made behind their back.
// Whether a module the runtime starts is kept from the others' files and
// secrets, and from staff's key.
void check_isolation(Checks& c, const Deployment& d) {
  std::string containers;
  for (auto& m : d.modules)
    if (m.container) containers += (containers.empty() ? "" : ", ") + m.name;
  if (!containers.empty())
    c.ok("module isolation (containers)",
         containers + " run in the container engine's isolation, not the runtime's");
  if (!d.runtime.isolate_modules) {
    c.warn("module isolation",
           "runtime.settings.isolateModules is false: every module runs "
           "as the lane's user with all its rights",
           "a module whose code is compromised can read admin.key and the other modules' "
           "secrets and data, and move money; set isolateModules to true (the default)");
    return;
  }
  if (std::string why = why_modules_are_not_confined(); !why.empty()) {
    c.warn("module isolation", "modules run unconfined: " + why,
           "a module whose code is compromised can read admin.key and the other modules' "
           "secrets and data, and move money; run the lane on Linux 5.13 or later with "
           "Landlock enabled, or run each module in a container");
    return;
  }
  c.ok("module isolation",
       "Landlock ABI " + std::to_string(landlock_abi()) +
           ": each module reads no other module's data or secrets and not admin.key, and "
           "writes only its own folder and what its settings name");
}

void check_journals(Checks& c, const Deployment& d, const StateDir& state) {
  for (const auto& m : d.modules) {
    if (m.builtin != "checkout") continue;
    std::string path = m.desired.contains("journal") && m.desired["journal"].is_string()
                           ? m.desired["journal"].get<std::string>()
                           : (state.data_dir(m.name) / "journal.db").string();
    std::string damage = journal_damage(path);
    if (damage.empty())
      c.ok(m.name + " journal", fs::exists(path) ? path : path + " (made at the first start)");
    else
      c.error(m.name + " journal", "damaged: " + damage,
              "run `checkout-edge call " + m.name +
                  " recoverJournal`: it keeps the file aside, exports what can be read and "
                  "starts a new journal (baskets are numbered on)");
    check_disk(c, fs::path(path).parent_path(), m.name + " journal disk");
  }
}

}  // namespace

int check_command(const StateDir& state, const CheckOptions& options) {
  Checks c;
  check_clock(c);
  Deployment d;
  bool have_manifest = false;
  std::string source = options.manifest;
  try {
    nlohmann::json manifest;
    if (!options.manifest.empty()) {
      manifest = read_manifest_file(options.manifest, options.variables);
    } else if (fs::exists(state.deployment_file())) {
      source = state.deployment_file().string();
      manifest = nlohmann::json::parse(read_file(state.deployment_file()));
    } else {
      throw std::runtime_error("no manifest: none was given and " +
                               state.deployment_file().string() + " does not exist");
    }
    d = parse_manifest(manifest);
    have_manifest = true;
    c.ok("manifest", source + ": " + std::to_string(d.modules.size()) + " modules, " +
                         std::to_string(d.routes.size()) + " routes");
  } catch (const std::exception& e) {
    c.error("manifest", e.what(),
            "pass --manifest FILE, and fix what the message names (JSON path, value found, "
            "value expected)");
  }
  check_broker(c, state);
  if (have_manifest) {
    check_modules(c, d, self_executable());
    check_journals(c, d, state);
    check_isolation(c, d);
    if (!d.runtime.hub_ca_file.empty()) {
      std::string unreadable;
      for (const std::string* f :
           {&d.runtime.hub_ca_file, &d.runtime.hub_cert_file, &d.runtime.hub_key_file})
        if (access(f->c_str(), R_OK) != 0) unreadable += (unreadable.empty() ? "" : ", ") + *f;
      if (unreadable.empty())
        c.ok("hub TLS", "certificate " + d.runtime.hub_cert_file + ", CA " + d.runtime.hub_ca_file);
      else
        c.error("hub TLS", "cannot read " + unreadable,
                "fix runtime.settings.hubTls: the CA, the hub's certificate (for 127.0.0.1) and "
                "its key, readable by the lane's user");
    }
  }
  check_disk(c, state.root);

  bool errors = false;
  nlohmann::json out = nlohmann::json::array();
  for (auto& r : c.results) {
    errors |= r.status == "error";
    out.push_back({{"check", r.name}, {"status", r.status}, {"detail", r.detail}, {"fix", r.fix}});
  }
  if (options.as_json) {
    std::cout << out.dump(2) << "\n";
  } else {
    for (auto& r : c.results) {
      std::cout << std::left << std::setw(9) << r.status << std::setw(22) << r.name << r.detail
                << "\n";
      if (options.verbose && !r.fix.empty())
        std::cout << std::string(31, ' ') << "fix: " << r.fix << "\n";
    }
    if (!options.verbose && errors) std::cout << "\n--verbose says how to fix each problem.\n";
  }
  return errors ? 1 : 0;
}

}  // namespace ce
