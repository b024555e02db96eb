#include "modules/web/enrollment.h"

#include <algorithm>
#include <stdexcept>

#include "checkout-edge/module.h"
#include "common/files.h"
#include "common/image_header.h"
#include "common/self_command.h"

namespace ce {

namespace {

// A JPEG or PNG the trainer can decode without a decompression bomb's
// gigabytes; empty when it is, else why not.
std::string why_not_a_photo(const std::string& bytes) {
  auto header = read_image_header(bytes);
  if (!header || (header->format != "jpeg" && header->format != "png"))
    return "is not a JPEG or PNG";
  if (std::string why = too_many_pixels(*header); !why.empty()) return "is too large: " + why;
  return {};
}

}  // namespace

Enrollment::~Enrollment() {
  if (worker_.joinable()) worker_.join();
}

void Enrollment::start(const std::filesystem::path& package, const std::string& tag,
                       const std::vector<std::string>& photos, const nlohmann::json& product) {
  if (!product.is_null())
    for (const char* key : {"id", "name", "price"})
      if (!product.contains(key) || !product[key].is_string() ||
          product[key].get<std::string>().empty())
        throw std::invalid_argument(std::string("to sell it, give the product's ") + key +
                                    " too (or none of id, name and price)");
  if (tag.empty() || tag.size() > 64 || !std::all_of(tag.begin(), tag.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ' ';
      }))
    throw std::invalid_argument("a tag is 1 to 64 letters, digits, spaces, '-' or '_'");
  if (photos.size() < 5 || photos.size() > 50)
    throw std::invalid_argument("enrolling takes 5 to 50 photos of the product; got " +
                                std::to_string(photos.size()));
  for (size_t i = 0; i < photos.size(); ++i)
    if (std::string why = why_not_a_photo(photos[i]); !why.empty())
      throw std::invalid_argument("photo " + std::to_string(i + 1) + " " + why);
  if (!std::filesystem::exists(package / "package.json"))
    throw std::invalid_argument("the classifier serves " + package.string() +
                                ", which is not a package made by `checkout-edge train`: only "
                                "those can learn a product");
  std::lock_guard lock(mutex_);
  if (status_["state"] == "running")
    throw std::logic_error("an enrollment is running already; wait for it");
  if (worker_.joinable()) worker_.join();

  std::string stamp = std::to_string(now_ms());
  std::filesystem::path dir = data_dir_ / "enroll" / stamp;
  std::filesystem::create_directories(dir);
  std::vector<std::string> files;
  for (size_t i = 0; i < photos.size(); ++i) {
    auto file =
        dir / ("photo-" + std::to_string(i + 1) + (photos[i][0] == '\xFF' ? ".jpg" : ".png"));
    write_file_atomically(file, photos[i]);
    files.push_back(file.string());
  }
  std::string name = tag;
  std::replace(name.begin(), name.end(), ' ', '-');
  std::filesystem::path out = package.string() + "-" + name;
  if (std::filesystem::exists(out)) out += "-" + stamp;

  std::vector<std::string> args{"enroll", "--model", package.string(), "--tag",
                                tag,      "--out",   out.string()};
  args.insert(args.end(), files.begin(), files.end());
  status_ = {{"state", "running"}, {"tag", tag}, {"package", out.string()}, {"output", ""}};
  nlohmann::json for_sale = product;
  if (!for_sale.is_null()) for_sale["tag"] = tag;
  worker_ = std::thread([this, args = std::move(args), for_sale] {
    CommandResult r;
    try {
      r = run_self(args, true);
    } catch (const std::exception& e) {
      r.output = e.what();
    }
    std::string output = r.output;
    if (output.size() > 4000) output = "..." + output.substr(output.size() - 4000);
    nlohmann::json catalogue;
    if (r.exit_code == 0 && !for_sale.is_null()) {
      MethodResult added = add_product_(for_sale);
      catalogue = added.status == 200
                      ? nlohmann::json{{"added", true}}
                      : nlohmann::json{{"added", false},
                                       {"error", added.payload.value("error", "no answer")}};
    }
    std::lock_guard lock(mutex_);
    status_["state"] = r.exit_code == 0 ? "done" : "failed";
    status_["output"] = output;
    status_["catalogue"] = catalogue;
  });
}

nlohmann::json Enrollment::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

}  // namespace ce
