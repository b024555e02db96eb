#include "modules/web/retraining.h"

#include <fstream>
#include <regex>
#include <stdexcept>

#include "common/self_command.h"

namespace ce {

Retraining::~Retraining() {
  if (worker_.joinable()) worker_.join();
}

void Retraining::start(const std::string& who) {
  std::lock_guard lock(mutex_);
  if (status_["state"] == "running")
    throw std::logic_error("a new iteration is being trained already; wait for it");
  if (worker_.joinable()) worker_.join();
  status_ = {{"state", "running"}, {"by", who}, {"output", ""}, {"comparison", nullptr}};
  worker_ = std::thread([this] {
    CommandResult r;
    try {
      r = run_self({"--state-dir", state_dir_.string(), "retrain"}, true);
    } catch (const std::exception& e) {
      r.output = e.what();
    }
    // The new package's measurement, written where its training put it.
    nlohmann::json comparison;
    std::smatch m;
    if (r.exit_code == 0 &&
        std::regex_search(r.output, m, std::regex("model=\\{\"package\": \"([^\"]+)\"\\}"))) {
      std::ifstream in(std::string(m[1]) + "/store-comparison.json");
      comparison = nlohmann::json::parse(in, nullptr, false);
      if (comparison.is_discarded()) comparison = nullptr;
    }
    std::string output = r.output;
    if (output.size() > 4000) output = "..." + output.substr(output.size() - 4000);
    std::lock_guard lock(mutex_);
    status_["state"] = r.exit_code == 0 ? "done" : "failed";
    status_["output"] = output;
    status_["comparison"] = comparison;
  });
}

nlohmann::json Retraining::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

}  // namespace ce
