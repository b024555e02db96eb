// The console's "train a new iteration with what the lane learnt":
// `checkout-edge retrain` beside the lane, one at a time (minutes: the
// package's own training, on its photos and the store's). What it measured
// is shown to staff; serving it is their separate, explicit switch.
#pragma once

#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace ce {

class Retraining {
 public:
  explicit Retraining(std::filesystem::path state_dir) : state_dir_(std::move(state_dir)) {}
  ~Retraining();
  // Throws std::logic_error when one runs already.
  void start(const std::string& who);
  // {"state": "idle" | "running" | "done" | "failed", "by", "output",
  //  "comparison": the new iteration's store-comparison.json}.
  nlohmann::json status() const;

 private:
  std::filesystem::path state_dir_;
  mutable std::mutex mutex_;
  nlohmann::json status_{{"state", "idle"}};
  std::thread worker_;
};

}  // namespace ce
