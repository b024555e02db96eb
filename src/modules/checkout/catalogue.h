// The store's products: what the model's tags mean and what they cost.
#pragma once

#include <string>
#include <vector>

namespace ce {

enum class SoldBy { Weight, Unit };

struct Product {
  std::string id;    // PLU or SKU
  std::string name;  // as spoken
  std::vector<std::string> tags;
  SoldBy sold_by = SoldBy::Weight;
  long long price_minor = 0;  // per kilogram (Weight) or each (Unit)
};

struct Catalogue {
  std::string currency = "USD";
  int minor_units = 2;  // cents per dollar = 10^minor_units
  std::vector<Product> products;

  // JSON: {"currency": "USD", "products": [{"id", "name", "tags": [...],
  // "pricePerKg" | "unitPrice" (in minor units)}]}. Errors name the file and field.
  static Catalogue load(const std::string& path);
  const Product* by_tag(const std::string& tag) const;
};

}  // namespace ce
