#include "modules/checkout/catalogue_edit.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/files.h"
#include "common/json_file.h"

namespace ce {

namespace {

std::string text_field(const nlohmann::json& request, const char* key, const char* what) {
  auto v = request.find(key);
  if (v == request.end() || !v->is_string() || v->get<std::string>().empty() ||
      v->get<std::string>().size() > 100)
    throw CatalogueEditError(std::string("give the product's ") + what + " ('" + key +
                             "', 1 to 100 characters)");
  return v->get<std::string>();
}

}  // namespace

nlohmann::json product_from_request(const nlohmann::json& request, const Catalogue& catalogue) {
  if (!request.is_object())
    throw CatalogueEditError(
        "send {\"id\", \"name\", \"tag\", \"price\": \"2.49\", \"soldBy\": \"kg\" or \"each\"}");
  std::string id = text_field(request, "id", "PLU or SKU");
  std::string name = text_field(request, "name", "name, as the lane will say it");
  std::string tag = text_field(request, "tag", "tag, as the model names it");
  std::string price = text_field(request, "price", "price");
  std::string sold_by = request.value("soldBy", "kg");
  if (sold_by != "kg" && sold_by != "each")
    throw CatalogueEditError("soldBy is kg (priced per kilogram) or each");
  // Whole minor units from the text: no floating point between staff and the till.
  size_t point = price.find('.');
  std::string whole = price.substr(0, point);
  std::string fraction = point == std::string::npos ? "" : price.substr(point + 1);
  auto digits = [](const std::string& t) {
    return std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if ((whole.empty() && fraction.empty()) || !digits(whole) || !digits(fraction) ||
      static_cast<int>(fraction.size()) > catalogue.minor_units || whole.size() > 9)
    throw CatalogueEditError("the price '" + price + "' is not an amount in " + catalogue.currency +
                             " with at most " + std::to_string(catalogue.minor_units) +
                             " digits after the point, such as 2.49");
  fraction.resize(catalogue.minor_units, '0');
  long long minor = std::stoll("0" + whole + fraction);
  if (minor <= 0) throw CatalogueEditError("the price must be more than 0");
  return {{"id", id},
          {"name", name},
          {"tags", {tag}},
          {sold_by == "kg" ? "pricePerKg" : "unitPrice", minor}};
}

Catalogue add_product_to_catalogue(const std::string& path, const nlohmann::json& product) {
  if (std::filesystem::path(path).extension() == ".csv")
    throw CatalogueEditError("the catalogue " + path +
                             " is CSV, which the lane does not rewrite: add the product's row "
                             "by hand");
  if (!product.is_object() || !product.contains("id") || !product["id"].is_string() ||
      !product.contains("tags") || !product["tags"].is_array())
    throw CatalogueEditError(
        "a product is {\"id\", \"name\", \"tags\": [...], \"pricePerKg\" or \"unitPrice\"}");
  Catalogue before = Catalogue::load(path);
  std::string id = product["id"];
  for (auto& p : before.products)
    if (p.id == id)
      throw CatalogueEditError("the catalogue has product " + id + " (" + p.name +
                               ") already: choose another id, or edit it in " + path);
  for (auto& tag : product["tags"])
    if (tag.is_string())
      if (const Product* p = before.by_tag(tag.get<std::string>()))
        throw CatalogueEditError("the tag '" + tag.get<std::string>() + "' is product " + p->id +
                                 "'s (" + p->name + ") already");

  nlohmann::json file = read_json_file(path, "the catalogue");
  file["products"].push_back(product);
  // Loaded from a copy first: the product's errors name its fields, and the
  // catalogue the lane sells from is never a file that fails to load.
  std::string trial = path + ".adding";
  write_file_atomically(trial, file.dump(2) + "\n");
  Catalogue after;
  try {
    after = Catalogue::load(trial);
  } catch (const std::exception& e) {
    std::filesystem::remove(trial);
    std::string why = e.what();
    if (auto at = why.find(trial); at != std::string::npos) why.replace(at, trial.size(), path);
    throw CatalogueEditError("the product cannot go in the catalogue: " + why);
  }
  std::filesystem::rename(trial, path);
  return after;
}

}  // namespace ce
