// A product added to the catalogue file while the lane runs (staff teaching
// the lane a product from the console): the file is checked whole, with the
// product in it, before it replaces the old one, so a bad product leaves the
// catalogue as it was.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "modules/checkout/catalogue.h"

namespace ce {

// What staff must change: a product that is there already, a CSV catalogue
// (edited by hand), a field that is wrong. The message says which.
struct CatalogueEditError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Staff's request, {"id", "name", "tag", "price": "2.49", "soldBy": "kg" |
// "each"}, as the catalogue's product: the price in the catalogue's minor
// units (two digits after the point for USD, none for JPY).
nlohmann::json product_from_request(const nlohmann::json& request, const Catalogue& catalogue);

// `product` as the JSON catalogue writes one: {"id", "name", "tags",
// "pricePerKg" | "unitPrice", ...}. Returns the catalogue as loaded after.
Catalogue add_product_to_catalogue(const std::string& path, const nlohmann::json& product);

}  // namespace ce
