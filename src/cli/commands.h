// The subcommands of `checkout-edge`, one function each; main.cpp wires
// the flags. Each returns the process's exit code.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/state_dir.h"

namespace ce {

struct AssetsOptions {
  std::string action;  // check or fetch
  std::string use = "demo";
  std::string shared, mirror, manifest;
};
int assets_command(const AssetsOptions& options);

struct DemoOptions {
  std::string shared;
  int items = 0;  // 0: every item in the scenario
  bool keep_basket = false;
  std::string image;  // each module in a container of this image (scripts/package.sh makes it)
};

struct LogOptions {
  int tail = -1;      // -1: all
  std::string since;  // "10m", "2h"; empty: all
  bool follow = false;
};

struct CheckOptions {
  std::string manifest;  // empty: the running or last deployment
  std::map<std::string, std::string> variables;
  bool as_json = false;
  bool verbose = false;
};

struct MonitorOptions {
  std::string manifest;  // upstream settings from here; else the last deployment's
  std::map<std::string, std::string> variables;
  std::string host;
  int port = 0;
  std::string username, password_env, ca_file;
  std::string durable;      // a session name: messages are kept for it between runs
  int count = 0;            // stop after this many; 0: never
  double idle_timeout = 0;  // stop after this many seconds without a message; 0: never
  bool as_json = false;
  bool lanes = false;  // a table of the lanes instead of each message
  std::string store;   // only this store's lanes
  std::string topic;   // the topic filter, when not the contract's
};

struct StaffOptions {
  std::string action;  // add, remove, list
  std::string name;
  std::string module = "web";  // whose data folder keeps the accounts
  bool password_stdin = false;
};

struct ExportOptions {
  std::string manifest;
  std::string registry;                      // e.g. myregistry.azurecr.io
  std::string tag;                           // the image's, e.g. the version
  std::string out;                           // empty or "-": standard output
  std::string credentials_env = "REGISTRY";  // ${REGISTRY_USERNAME}, ${REGISTRY_PASSWORD}
  std::string iotedge_version = "1.5";
  std::vector<std::string> binds;  // more host:container[:ro] for every module
  std::map<std::string, std::string> variables;
};

int demo_command(const StateDir& state, const DemoOptions& options);
int export_iotedge_command(const ExportOptions& options);
// The IoT Edge deployment for a lane's (expanded) manifest; `warnings` gets
// what could not be carried over.
nlohmann::json iotedge_deployment(const nlohmann::json& lane_manifest, const ExportOptions& options,
                                  std::vector<std::string>* warnings);
int staff_command(const StateDir& state, const StaffOptions& options);
int list_command(const StateDir& state, bool as_json);
int logs_command(const StateDir& state, const std::string& module, const LogOptions& options);
int deploy_command(const StateDir& state, const std::string& file,
                   const std::map<std::string, std::string>& variables);
int twin_command(const StateDir& state, const std::string& module,
                 const std::vector<std::string>& assignments);
int call_command(const StateDir& state, const std::string& module, const std::string& method,
                 const std::string& payload, double timeout_s);
int restart_command(const StateDir& state, const std::string& module);
int check_command(const StateDir& state, const CheckOptions& options);
int monitor_command(const StateDir& state, const MonitorOptions& options);

struct EvaluateOptions {
  std::string model, data, classes, out;
  double threshold = 0.5;
  bool as_json = false;
};
int evaluate_command(const EvaluateOptions& options);

// `barcode FILE...`: what the lane's code reader finds in each photo.
int barcode_command(const std::vector<std::string>& paths);
// Plays labelled photos through the lane's decisions, learning as it goes.
struct ReplayOptions {
  std::string model, data, classes, out, memory;
  int shuffle = -1;  // a seed; -1 keeps the list's order
  bool learn = true;
  double accept_risk = 0.01;
  double threshold = 0.5;  // the checkout's plain threshold, for an uncalibrated package
  int candidates_spoken = 3;
  // The blend's rule (BlendRule's defaults, chosen on the val-a half).
  double memory_weight = 0.7, closest_at_least = 0.6, trusted_from = 0.85;
  size_t neighbours = 5;
};
int replay_command(const ReplayOptions& options);
// A new iteration from the package's photos and the lane's confirmed ones.
struct RetrainOptions {
  std::string model, memory, data, out;
  int hold_out_every = 5;  // every Nth store photo of a product is measured on, never trained on
  int epochs = 0;          // 0: as the package was trained
};
int retrain_command(const StateDir& state, const RetrainOptions& options);
// `train` and `enroll` run checkout-edge-train, installed beside this program.
int training_command(const std::string& subcommand, const std::vector<std::string>& args);
// The same as a child process; returns its exit code.
int run_training(const std::string& subcommand, const std::vector<std::string>& args);

long long parse_duration_ms(const std::string& text);  // "30s", "10m", "2h", "1d"

}  // namespace ce
