// Enrolling a product from photos uploaded in the console: the photos are
// kept in the module's data folder and `checkout-edge enroll` makes a new
// iteration of the package the classifier serves, beside it, while staff
// wait (one at a time; seconds, not minutes); when it is made, the product
// (name, price) goes in the checkout's catalogue. Serving the new model is a
// separate step (the console's model switch), so staff check it first.
#pragma once

#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "checkout-edge/module.h"

namespace ce {

class Enrollment {
 public:
  // `add_product`: the checkout's addProduct, as StaffActions calls it.
  using AddProduct = std::function<MethodResult(const nlohmann::json&)>;
  Enrollment(std::filesystem::path data_dir, AddProduct add_product)
      : data_dir_(std::move(data_dir)), add_product_(std::move(add_product)) {}
  ~Enrollment();

  // Throws std::invalid_argument saying what is wrong (a tag, too few
  // photos, one that is not a JPEG or PNG), std::logic_error when one runs.
  // `product`: {"id", "name", "price", "soldBy"} for the catalogue, or null.
  void start(const std::filesystem::path& package, const std::string& tag,
             const std::vector<std::string>& photos, const nlohmann::json& product);
  // {"state": "idle" | "running" | "done" | "failed", "tag", "package",
  // "output", "catalogue": what the checkout said of the product}.
  nlohmann::json status() const;

 private:
  std::filesystem::path data_dir_;
  AddProduct add_product_;
  mutable std::mutex mutex_;
  nlohmann::json status_{{"state", "idle"}};
  std::thread worker_;
};

}  // namespace ce
