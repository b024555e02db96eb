#include "modules/checkout/catalogue.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "common/json_file.h"

namespace ce {

Catalogue Catalogue::load(const std::string& path) {
  nlohmann::json j = read_json_file(path, "the catalogue");
  auto fail = [&](const std::string& where, const std::string& expected) {
    throw std::runtime_error(path + ": " + where + ": expected " + expected);
  };
  Catalogue c;
  if (!j.is_object()) fail("the top level", "an object with currency and products");
  if (j.contains("currency")) {
    if (!j["currency"].is_string() || j["currency"].get<std::string>().size() != 3)
      fail("currency", "an ISO 4217 code such as \"USD\"");
    c.currency = j["currency"];
  }
  if (j.contains("minorUnits")) {
    if (!j["minorUnits"].is_number_integer() || j["minorUnits"] < 0 || j["minorUnits"] > 3)
      fail("minorUnits", "0 to 3 (digits after the decimal point)");
    c.minor_units = j["minorUnits"];
  }
  if (!j.contains("products") || !j["products"].is_array() || j["products"].empty())
    fail("products", "a non-empty array");
  std::set<std::string> ids, tags;
  for (size_t i = 0; i < j["products"].size(); ++i) {
    const auto& p = j["products"][i];
    std::string where = "products[" + std::to_string(i) + "]";
    if (!p.is_object()) fail(where, "an object");
    Product prod;
    for (const char* key : {"id", "name"}) {
      if (!p.contains(key) || !p[key].is_string() || p[key].get<std::string>().empty())
        fail(where + "." + key, "a non-empty string");
    }
    prod.id = p["id"];
    prod.name = p["name"];
    if (!ids.insert(prod.id).second)
      fail(where + ".id", "a unique id; '" + prod.id + "' is used twice");
    if (!p.contains("tags") || !p["tags"].is_array() || p["tags"].empty())
      fail(where + ".tags", "a non-empty array of the model's tag names");
    for (auto& t : p["tags"]) {
      if (!t.is_string()) fail(where + ".tags", "strings");
      if (!tags.insert(t.get<std::string>()).second)
        fail(where + ".tags", "tags that belong to one product only; '" + t.get<std::string>() +
                                  "' is claimed twice");
      prod.tags.push_back(t);
    }
    bool per_kg = p.contains("pricePerKg"), per_unit = p.contains("unitPrice");
    if (per_kg == per_unit)
      fail(where, "exactly one of pricePerKg or unitPrice (whole minor units, e.g. cents)");
    const auto& price = per_kg ? p["pricePerKg"] : p["unitPrice"];
    if (!price.is_number_integer() || price.get<long long>() < 0)
      fail(where + (per_kg ? ".pricePerKg" : ".unitPrice"),
           "a whole number of minor units (e.g. 299 for 2.99), not " + price.dump());
    prod.sold_by = per_kg ? SoldBy::Weight : SoldBy::Unit;
    prod.price_minor = price;
    c.products.push_back(std::move(prod));
  }
  return c;
}

const Product* Catalogue::by_tag(const std::string& tag) const {
  for (auto& p : products)
    for (auto& t : p.tags)
      if (t == tag) return &p;
  return nullptr;
}

}  // namespace ce
