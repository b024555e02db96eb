// checkout-edge: one command for the runtime, the modules and the demo.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "cli/paths.h"
#include "common/stop_signal.h"
#include "modules/modules.h"
#include "runtime/agent.h"

int main(int argc, char** argv) {
  ce::block_stop_signals();
  CLI::App app{"checkout-edge: an offline, talking self-checkout for edge devices"};
  app.set_version_flag("--version", CHECKOUT_EDGE_VERSION);
  app.require_subcommand(1);
  std::string state_flag;
  app.add_option("--state-dir", state_flag,
                 "Folder for the runtime's state, logs and module data "
                 "(default: $CHECKOUT_EDGE_HOME or ~/.local/state/checkout-edge)");

  auto* run = app.add_subcommand("run",
                                 "Start the hub and the modules of a deployment manifest; "
                                 "stop them all on Ctrl-C or SIGTERM");
  std::string manifest, shared;
  run->add_option("-m,--manifest", manifest, "Deployment manifest (Azure IoT Edge shape)")
      ->required();
  run->add_option("--shared", shared,
                  "Folder with the shared datasets and models, ${SHARED} in the manifest "
                  "(default: $CHECKOUT_EDGE_SHARED or ../shared beside the source tree)");

  auto* demo = app.add_subcommand("demo",
                                  "Run the whole checkout on real product photos, a "
                                  "simulated scale and speech to WAV files or speakers");
  ce::DemoOptions demo_options;
  demo->add_option("--shared", demo_options.shared, "Folder with the shared datasets and models");
  demo->add_option("--items", demo_options.items, "Use only the first N items of the scenario")
      ->check(CLI::PositiveNumber);
  demo->add_flag("--keep-basket", demo_options.keep_basket,
                 "Continue the basket of the previous demo instead of starting a new one");

  auto* list = app.add_subcommand("list", "Show each module: status, how long up, version");
  std::string output = "table";
  list->add_option("--output", output, "table or json")->check(CLI::IsMember({"table", "json"}));

  auto* logs = app.add_subcommand("logs", "Show a module's log");
  std::string log_module;
  int tail = -1;
  bool follow = false;
  logs->add_option("module", log_module, "Module name (see `list`)")->required();
  logs->add_option("--tail", tail, "Only the last N lines")->check(CLI::NonNegativeNumber);
  logs->add_flag("-f,--follow", follow, "Keep printing new lines until Ctrl-C");

  auto* module = app.add_subcommand("module", "Run one built-in module (the runtime does this)");
  std::string module_name;
  module->add_option("name", module_name, "camera, classifier, scale, checkout or speech")
      ->required();

  CLI11_PARSE(app, argc, argv);
  ce::StateDir state = ce::StateDir::resolve(state_flag);
  try {
    if (*run) {
      std::map<std::string, std::string> vars{{"SHARED", ce::resolve_shared_dir(shared)},
                                              {"STATE_DIR", state.root.string()}};
      ce::Deployment d = ce::load_manifest(manifest, vars);
      return ce::run_agent(d, {state, ce::self_executable(), manifest, nullptr});
    }
    if (*demo) return ce::demo_command(state, demo_options);
    if (*list) return ce::list_command(state, output == "json");
    if (*logs) return ce::logs_command(state, log_module, tail, follow);
    if (*module) return ce::run_builtin_module(module_name);
  } catch (const std::exception& e) {
    std::cerr << "checkout-edge: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
