// checkout-edge: one command for the runtime, the modules and the demo.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/paths.h"
#include "common/stop_signal.h"
#include "hub/method_call.h"
#include "modules/barcodes/isolated_reader.h"
#include "modules/modules.h"
#include "runtime/agent.h"

int main(int argc, char** argv) {
  ce::block_stop_signals();
  CLI::App app{"checkout-edge: an offline, talking self-checkout for edge devices"};
  app.set_version_flag("--version", CHECKOUT_EDGE_VERSION);
  app.require_subcommand(1);
  // `checkout-edge run --state-dir DIR` as well as `checkout-edge --state-dir
  // DIR run`: the subcommands hand the options they do not know to the app.
  app.fallthrough();
  std::string state_flag;
  app.add_option("--state-dir", state_flag,
                 "Folder for the runtime's state, logs and module data "
                 "(default: $CHECKOUT_EDGE_HOME, /var/lib/checkout-edge for the installed "
                 "package, or ~/.local/state/checkout-edge)");
  std::string shared;
  auto shared_option = [&](CLI::App* cmd) {
    cmd->add_option("--shared", shared,
                    "Folder with the shared datasets and models, ${SHARED} in the manifest "
                    "(default: $CHECKOUT_EDGE_SHARED or ../shared beside the source tree)");
  };

  auto* run = app.add_subcommand("run",
                                 "Start the hub and the modules of a deployment manifest; "
                                 "stop them all on Ctrl-C or SIGTERM");
  std::string manifest;
  run->add_option("-m,--manifest", manifest, "Deployment manifest (Azure IoT Edge shape)")
      ->required();
  shared_option(run);

  auto* demo = app.add_subcommand("demo",
                                  "Run the whole checkout on real product photos, a "
                                  "simulated scale and speech to WAV files or speakers");
  demo->footer(
      "What a first run takes on a fresh Debian 12 machine with 2 cores (docs/benchmarks.md, "
      "\"First run\"): scripts/demo.sh installs the lane's packages (about 1.5 minutes, 577 "
      "packages, 470 MB to download) and builds checkout-edge and its training program (about 4 "
      "minutes); the demo then trains its model on the store's photos of its 6 products (about "
      "20 s, once: kept in the state folder), says its first line about 4 s later and rings up "
      "the 12 items in about 35 s more.\n"
      "It needs 231 shared files (12 MB): the Grocery Store photos of its products and two "
      "MobileNet backbones, found in --shared, $CHECKOUT_EDGE_SHARED or ../shared, else fetched "
      "from their origins into ~/.cache/checkout-edge and checked (checkout-edge assets check "
      "--for demo lists them). No sound card is needed: each sentence is also a WAV file.");
  ce::DemoOptions demo_options;
  demo->add_option("--shared", demo_options.shared, "Folder with the shared datasets and models");
  demo->add_option("--items", demo_options.items, "Use only the first N items of the scenario")
      ->check(CLI::PositiveNumber);
  demo->add_flag("--keep-basket", demo_options.keep_basket,
                 "Continue the basket of the previous demo instead of starting a new one");
  demo->add_option("--containers", demo_options.image,
                   "Run each module in a container of this image (podman), e.g. "
                   "localhost/checkout-edge:" CHECKOUT_EDGE_VERSION);

  auto* assets = app.add_subcommand(
      "assets",
      "Check that the shared datasets and models are here, or fetch the missing ones from their "
      "origins into ~/.cache/checkout-edge, each checked against its SHA-256");
  ce::AssetsOptions assets_options;
  assets->add_option("action", assets_options.action, "check or fetch")
      ->required()
      ->check(CLI::IsMember({"check", "fetch"}));
  assets->add_option("--for", assets_options.use, "demo, training, tests or all")
      ->check(CLI::IsMember({"demo", "training", "tests", "all"}))
      ->capture_default_str();
  shared_option(assets);
  assets->add_option("--mirror", assets_options.mirror,
                     "A server laid out as the shared folder, instead of the files' origins "
                     "(default: $CHECKOUT_EDGE_ASSET_MIRROR)");
  assets->add_option("--manifest", assets_options.manifest,
                     "The list of files (default: the project's assets/shared-files.json)");

  auto* list = app.add_subcommand("list", "Show each module: status, how long up, version");
  std::string output = "table";
  list->add_option("--output", output, "table or json")->check(CLI::IsMember({"table", "json"}));

  auto* logs = app.add_subcommand("logs", "Show a module's log");
  std::string module;
  ce::LogOptions log_options;
  logs->add_option("module", module, "Module name (see `list`)")->required();
  logs->add_option("--tail", log_options.tail, "Only the last N lines")
      ->check(CLI::NonNegativeNumber);
  logs->add_option("--since", log_options.since,
                   "Only lines from the last DURATION (30s, 10m, 2h, 1d)");
  logs->add_flag("-f,--follow", log_options.follow, "Keep printing new lines until Ctrl-C");

  auto* deploy = app.add_subcommand(
      "deploy",
      "Apply a manifest to the running system: start added modules, stop removed ones, restart "
      "changed ones; roll back if a changed module does not become healthy");
  std::string deploy_file;
  deploy->add_option("manifest", deploy_file, "The new deployment manifest")->required();
  shared_option(deploy);

  auto* twin = app.add_subcommand("twin", "Show a module's desired and reported properties");
  std::vector<std::string> assignments;
  twin->add_option("module", module, "Module name")->required();
  twin->add_option("--set", assignments,
                   "Change a desired property without restarting the module: key=value "
                   "(value as JSON if it parses; a.b=1 for nested keys; key=null removes it)");

  auto* call = app.add_subcommand(
      "call", "Call a module's direct method and print its reply (module 'runtime' is the agent)");
  std::string method, payload;
  double timeout_s = 10;
  call->add_option("module", module, "Module name, or runtime")->required();
  call->add_option("method", method, "Method name, e.g. ping")->required();
  call->add_option("payload", payload, "JSON payload (default {})");
  call->add_option("--timeout", timeout_s, "Seconds to wait for the reply")
      ->check(CLI::PositiveNumber);

  auto* restart = app.add_subcommand("restart", "Restart one module now");
  restart->add_option("module", module, "Module name")->required();

  auto* check = app.add_subcommand(
      "check",
      "Check that this lane can run: broker, manifest, programs, camera, audio, model, "
      "disk, clock");
  ce::CheckOptions check_options;
  check->add_option("-m,--manifest", check_options.manifest,
                    "Manifest to check (default: the running or last deployment)");
  check->add_option("--output", output, "table or json")->check(CLI::IsMember({"table", "json"}));
  check->add_flag("-v,--verbose", check_options.verbose, "Say how to fix each problem");
  shared_option(check);

  auto* monitor = app.add_subcommand(
      "monitor",
      "Print the messages that arrive at the upstream broker ($upstream routes), or with "
      "--lanes a store's lanes side by side");
  ce::MonitorOptions monitor_options;
  monitor->add_option("-m,--manifest", monitor_options.manifest,
                      "Take the upstream broker from this manifest (default: the last deployment)");
  monitor->add_option("--host", monitor_options.host, "Upstream broker host");
  monitor->add_option("--port", monitor_options.port, "Upstream broker port");
  monitor->add_option("--username", monitor_options.username, "User name on the upstream broker");
  monitor->add_option("--password-env", monitor_options.password_env,
                      "Environment variable holding the password");
  monitor->add_option("--ca-file", monitor_options.ca_file, "CA certificate: connect with TLS");
  monitor->add_option("--durable", monitor_options.durable,
                      "Session name: the broker keeps messages for it while the monitor is away");
  monitor->add_option("--count", monitor_options.count, "Stop after N messages");
  monitor->add_option("--idle-timeout", monitor_options.idle_timeout,
                      "Stop after this many seconds without a message");
  monitor->add_flag("--lanes", monitor_options.lanes,
                    "The store's lanes side by side (modules up, basket, scans), not each "
                    "message");
  monitor->add_option("--store", monitor_options.store, "Only this store's lanes");
  monitor->add_option("--topic", monitor_options.topic,
                      "Subscribe to this topic filter (default: lanes/<store>/# or lanes/#)");
  monitor->add_option("--output", output, "text or json (one message per line)")
      ->check(CLI::IsMember({"text", "json"}));
  shared_option(monitor);

  auto* staff = app.add_subcommand("staff", "Add, remove or list the staff console's accounts");
  ce::StaffOptions staff_options;
  staff->add_option("action", staff_options.action, "add, remove or list")
      ->required()
      ->check(CLI::IsMember({"add", "remove", "list"}));
  staff->add_option("name", staff_options.name, "The member of staff's login name");
  staff->add_option("--module", staff_options.module, "The web module's name in the manifest")
      ->capture_default_str();
  staff->add_flag("--password-stdin", staff_options.password_stdin,
                  "Read the password from standard input (one line), not the terminal");

  auto* export_cmd = app.add_subcommand("export", "Write the lane's deployment for another engine");
  export_cmd->require_subcommand(1);
  auto* iotedge = export_cmd->add_subcommand(
      "iotedge", "An Azure IoT Edge deployment manifest: each module a container of the image");
  ce::ExportOptions export_options;
  export_options.tag = CHECKOUT_EDGE_VERSION;
  iotedge->add_option("-m,--manifest", export_options.manifest, "The lane's manifest")->required();
  iotedge
      ->add_option("--registry", export_options.registry,
                   "The container registry the lanes pull from, e.g. myregistry.azurecr.io")
      ->required();
  iotedge->add_option("--tag", export_options.tag, "The image's tag")->capture_default_str();
  iotedge->add_option("-o,--out", export_options.out, "Write here (default: standard output)");
  iotedge
      ->add_option("--credentials-env", export_options.credentials_env,
                   "Prefix of the variables that hold the registry's user name and password "
                   "(referenced as ${PREFIX_USERNAME}, never written)")
      ->capture_default_str();
  iotedge
      ->add_option("--iotedge-version", export_options.iotedge_version,
                   "edgeAgent and edgeHub image tag")
      ->capture_default_str();
  iotedge->add_option("--bind", export_options.binds,
                      "Another host:container[:ro] folder for every module (e.g. models)");
  shared_option(iotedge);

  auto* module_cmd =
      app.add_subcommand("module", "Run one built-in module (the runtime does this)");
  std::string module_name;
  module_cmd
      ->add_option("name", module_name,
                   "camera, classifier, scale, checkout, speech, keypad, barcodes, scanner or web")
      ->required();

  auto* barcode =
      app.add_subcommand("barcode",
                         "Print the product codes the lane reads in photos: one line per code, "
                         "path<TAB>symbology<TAB>text (nothing for a photo with none)");
  std::vector<std::string> barcode_files;
  barcode->add_option("files", barcode_files, "Photos, or folders of photos")->required();
  // The code reader's own process (modules/barcodes/isolated_reader.h).
  auto* code_worker = app.add_subcommand("read-codes-worker", "")->group("");

  auto* train = app.add_subcommand("train",
                                   "Train a model package from labelled photos "
                                   "(`checkout-edge train --help`)");
  train->prefix_command();
  train->fallthrough(false);  // its --help is the training program's
  train->set_help_flag();     // --help goes to checkout-edge-train, which knows the options
  auto* enroll = app.add_subcommand("enroll",
                                    "Add a product to a model package from 5 to 50 "
                                    "photos (`checkout-edge enroll --help`)");
  enroll->prefix_command();
  enroll->fallthrough(false);
  enroll->set_help_flag();
  auto* evaluate = app.add_subcommand("evaluate", "Measure a model package on labelled photos");
  ce::EvaluateOptions evaluate_options;
  evaluate->add_option("--model", evaluate_options.model, "The model package")->required();
  evaluate
      ->add_option("--data", evaluate_options.data,
                   "A folder of tag folders, or a list file (path, tag id, coarse id)")
      ->required();
  evaluate->add_option("--classes", evaluate_options.classes, "Names for a list file's ids");
  evaluate
      ->add_option("--threshold", evaluate_options.threshold,
                   "Probability for precision and recall")
      ->capture_default_str();
  evaluate->add_option("--out", evaluate_options.out,
                       "Folder for metrics.json, confusion.csv/png, reliability.png");
  evaluate->add_option("--output", output, "table or json")
      ->check(CLI::IsMember({"table", "json"}));

  auto* replay = app.add_subcommand(
      "replay",
      "Play labelled photos through the lane's decisions (model, memory, risk threshold), "
      "answering its questions from the labels and learning as it goes");
  ce::ReplayOptions replay_options;
  replay->add_option("--model", replay_options.model, "The model package")->required();
  replay
      ->add_option("--data", replay_options.data,
                   "A folder of tag folders, or a list file (path, tag id, coarse id)")
      ->required();
  replay->add_option("--classes", replay_options.classes, "Names for a list file's ids");
  replay->add_option("--shuffle", replay_options.shuffle, "Shuffle the photos with this seed");
  std::string learn = "on";
  replay->add_option("--learn", learn, "on, or off for the model alone")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  replay->add_option("--accept-risk", replay_options.accept_risk, "The lane's acceptRisk")
      ->capture_default_str();
  replay
      ->add_option("--threshold", replay_options.threshold,
                   "The lane's plain threshold (a package without calibration)")
      ->capture_default_str();
  replay->add_option("--memory", replay_options.memory,
                     "Keep the memory in this folder (default: a new one, removed after)");
  replay->add_option("--out", replay_options.out, "Folder for replay.csv and replay.png");
  replay->add_option("--neighbours", replay_options.neighbours, "The blend's k")
      ->capture_default_str();
  replay->add_option("--memory-weight", replay_options.memory_weight, "The memory's share")
      ->capture_default_str();
  replay
      ->add_option("--trusted-from", replay_options.trusted_from,
                   "From this similarity on the memory has its whole share")
      ->capture_default_str();
  replay
      ->add_option("--closest-at-least", replay_options.closest_at_least,
                   "Below this similarity the memory says nothing")
      ->capture_default_str();

  auto* retrain = app.add_subcommand(
      "retrain",
      "A new iteration of the served package from its photos and what the lane learnt, "
      "measured against the current one on store photos neither trained on; not served");
  ce::RetrainOptions retrain_options;
  retrain->add_option("--model", retrain_options.model,
                      "The package (default: what the running lane's classifier serves)");
  retrain->add_option("--memory", retrain_options.memory,
                      "A memory export (default: the running lane's, exported now)");
  retrain->add_option("--data", retrain_options.data,
                      "The original photos (default: those the package was trained on)");
  retrain->add_option("--out", retrain_options.out, "The new package (default: beside it)");
  retrain
      ->add_option("--hold-out-every", retrain_options.hold_out_every,
                   "Every Nth of a product's store photos is kept apart to measure on")
      ->check(CLI::Range(2, 100))
      ->capture_default_str();
  retrain->add_option("--epochs", retrain_options.epochs, "Passes (default: as trained)");

  // A word that is no command is an error that names it, even with --help
  // after it (CLI11 would print the general help and succeed).
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--state-dir") {
      ++i;
      continue;
    }
    if (word.rfind("-", 0) == 0) continue;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) known |= sub->get_name() == word;
    if (known) break;
    std::string names;
    for (const CLI::App* sub : app.get_subcommands({}))
      names += (names.empty() ? "" : ", ") + sub->get_name();
    std::cerr << "checkout-edge: there is no command '" << word << "'; the commands are " << names
              << " (checkout-edge --help)\n";
    return 2;
  }

  CLI11_PARSE(app, argc, argv);
  ce::StateDir state = ce::StateDir::resolve(ce::state_dir_flag(state_flag));
  auto variables = [&] {
    return std::map<std::string, std::string>{{"SHARED", ce::resolve_shared_dir(shared)},
                                              {"STATE_DIR", state.root.string()}};
  };
  try {
    if (*run) {
      nlohmann::json expanded = ce::read_manifest_file(manifest, variables());
      try {
        ce::parse_manifest(expanded);
      } catch (const ce::ManifestError& e) {
        throw ce::ManifestError(manifest + ": " + e.what());
      }
      return ce::run_agent(
          expanded, {state, ce::self_executable(), std::filesystem::absolute(manifest).string(),
                     nullptr, ce::check_builtin_settings});
    }
    if (*demo) return ce::demo_command(state, demo_options);
    if (*assets) {
      assets_options.shared = ce::resolve_shared_dir(shared);
      if (assets_options.mirror.empty())
        if (const char* m = std::getenv("CHECKOUT_EDGE_ASSET_MIRROR")) assets_options.mirror = m;
      return ce::assets_command(assets_options);
    }
    if (*list) return ce::list_command(state, output == "json");
    if (*logs) return ce::logs_command(state, module, log_options);
    if (*deploy) return ce::deploy_command(state, deploy_file, variables());
    if (*twin) return ce::twin_command(state, module, assignments);
    if (*call) return ce::call_command(state, module, method, payload, timeout_s);
    if (*restart) return ce::restart_command(state, module);
    if (*check) {
      check_options.as_json = output == "json";
      check_options.variables = variables();
      return ce::check_command(state, check_options);
    }
    if (*monitor) {
      monitor_options.as_json = output == "json";
      monitor_options.variables = variables();
      return ce::monitor_command(state, monitor_options);
    }
    if (*staff) return ce::staff_command(state, staff_options);
    if (*iotedge) {
      export_options.variables = variables();
      return ce::export_iotedge_command(export_options);
    }
    if (*module_cmd) return ce::run_builtin_module(module_name);
    if (*barcode) return ce::barcode_command(barcode_files);
    if (*code_worker) return ce::run_code_reader_worker();
    if (*train) return ce::training_command("train", train->remaining());
    if (*enroll) return ce::training_command("enroll", enroll->remaining());
    if (*retrain) return ce::retrain_command(state, retrain_options);
    if (*replay) {
      replay_options.learn = learn == "on";
      return ce::replay_command(replay_options);
    }
    if (*evaluate) {
      evaluate_options.as_json = output == "json";
      return ce::evaluate_command(evaluate_options);
    }
  } catch (const ce::MethodTimeout& e) {
    std::cerr << "checkout-edge: " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "checkout-edge: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
