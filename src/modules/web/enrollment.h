// Enrolling a product from photos uploaded in the console: the photos are
// kept in the module's data folder and `checkout-edge enroll` makes a new
// iteration of the package the classifier serves, beside it, while staff
// wait (one at a time; seconds, not minutes). Serving it is a separate
// step (the console's model switch), so staff check it first.
#pragma once

#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace ce {

class Enrollment {
 public:
  explicit Enrollment(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)) {}
  ~Enrollment();

  // Throws std::invalid_argument saying what is wrong (a tag, too few
  // photos, one that is not a JPEG or PNG), std::logic_error when one runs.
  void start(const std::filesystem::path& package, const std::string& tag,
             const std::vector<std::string>& photos);
  // {"state": "idle" | "running" | "done" | "failed", "tag", "package", "output"}.
  nlohmann::json status() const;

 private:
  std::filesystem::path data_dir_;
  mutable std::mutex mutex_;
  nlohmann::json status_{{"state", "idle"}};
  std::thread worker_;
};

}  // namespace ce
