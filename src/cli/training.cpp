// evaluate: runs a model package over labelled photos with the classifier's
// own code and prints Custom Vision's metrics. train and enroll: handed to
// checkout-edge-train (libtorch stays out of this program).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <opencv2/imgcodecs.hpp>

#include "cli/commands.h"
#include "modules/classifier/model.h"
#include "runtime/agent.h"
#include "training/classify_dataset.h"
#include "training/dataset.h"
#include "training/metrics.h"

namespace fs = std::filesystem;

namespace ce {

int evaluate_command(const EvaluateOptions& o) {
  Model model = Model::load(nlohmann::json{{"package", o.model}}, evaluation_workers());
  Dataset data = load_dataset(o.data, o.classes);
  align_tags(data, model.labels());
  std::vector<std::string> skipped;
  EvaluationInput in = classify_dataset(model, data, skipped);
  for (auto& s : skipped) std::cerr << "skipped " << s << "\n";
  in.threshold = o.threshold;
  Evaluation e = evaluate(in);
  if (const auto& info = model.package().info;
      info.contains("calibration") && info["calibration"].contains("riskCoverage"))
    e.held_out_risk_coverage = risk_curve_from_json(info["calibration"]["riskCoverage"]);
  e.metrics["model"] = model.version();
  e.metrics["data"] = data.source;
  if (!o.out.empty()) write_evaluation(e, in.tags, o.out);
  if (o.as_json)
    std::cout << e.metrics.dump(2) << "\n";
  else
    std::cout << model.version() << " on " << data.source << "\n"
              << evaluation_summary(e)
              << (o.out.empty() ? ""
                                : "metrics, confusion matrix, reliability, risk-coverage and "
                                  "predictions in " +
                                      o.out + "\n");
  return 0;
}

namespace {

// checkout-edge-train SUBCOMMAND ARGS..., in place of this process.
[[noreturn]] void exec_training(const std::string& subcommand,
                                const std::vector<std::string>& args) {
  fs::path program = fs::path(self_executable()).parent_path() / "checkout-edge-train";
  if (!fs::exists(program))
    throw std::runtime_error(program.string() +
                             " is missing: build it (scripts/build.sh) to train and enroll");
  std::vector<std::string> all{program.string(), subcommand};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  // This program blocks SIGINT and SIGTERM to wait for them; training takes
  // Ctrl-C itself, so its signals must arrive.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execv(program.c_str(), argv.data());
  throw std::runtime_error("cannot run " + program.string() + ": " + std::strerror(errno));
}

}  // namespace

int training_command(const std::string& subcommand, const std::vector<std::string>& args) {
  exec_training(subcommand, args);
}

int run_training(const std::string& subcommand, const std::vector<std::string>& args) {
  std::cout.flush();
  pid_t child = fork();
  if (child < 0)
    throw std::runtime_error(std::string("cannot start training: ") + std::strerror(errno));
  if (child == 0) {
    try {
      exec_training(subcommand, args);
    } catch (const std::exception& e) {
      std::cerr << "checkout-edge: " << e.what() << "\n";
    }
    _exit(127);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace ce
