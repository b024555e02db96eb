// The store's products: what the model's tags mean, what they cost, and what
// they are called in each language the lane speaks.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace ce {

enum class SoldBy { Weight, Unit };

struct Product {
  std::string id;    // PLU or SKU
  std::string name;  // as spoken when no locale name fits
  std::vector<std::string> tags;
  SoldBy sold_by = SoldBy::Weight;
  long long price_minor = 0;                 // per kilogram (Weight) or each (Unit)
  std::map<std::string, std::string> names;  // by locale: "de-DE" -> "Banane"
  int tare_grams = 0;                        // packaging, taken off the gross weight
  int min_grams = 0, max_grams = 0;          // plausible weight on the scale; 0: no limit
  // The coarse class it is a variety of ("apple" for Granny Smith), as
  // spoken, and by locale; empty: none.
  std::string group;
  std::map<std::string, std::string> group_names;
  // Its codes, each a GTIN as 14 digits (an EAN-13, UPC-A or EAN-8 printed
  // on it, padded with zeros); a produce PLU is its id.
  std::vector<std::string> gtins;
  // A GS1 label from the store's scale (deli, meat) prices the line with the
  // weight and price it carries; the lane's scale weight is shown beside.
  bool price_from_label = false;
  // Sold in a package with a code on it: the lane asks the shopper to turn
  // it so that the camera sees the code when the image is unsure.
  bool packaged = false;

  // The name for `locale` ("de-DE"), else its language ("de"), else `name`.
  const std::string& name_in(const std::string& locale) const;
  // The group's name for `locale`, as name_in() does for the product.
  const std::string& group_name_in(const std::string& locale) const;
  bool plausible(int grams) const {
    return grams >= min_grams && (max_grams == 0 || grams <= max_grams);
  }
};

struct Catalogue {
  std::string currency = "USD";
  int minor_units = 2;  // cents per dollar = 10^minor_units
  std::vector<Product> products;

  // JSON {"currency", "minorUnits"?, "products": [{"id", "name", "names"?,
  // "tags", "pricePerKg" | "unitPrice", "tareGrams"?, "plausibleGrams"?: [min, max],
  // "group"?: "apple", "groupNames"?: {"de-DE": "Apfel"}, "gtin"?: "4011..." or
  // ["...", ...], "priceFromLabel"?: true, "packaged"?: true}]}
  // or CSV with a header row: id, name, tags (separated by |), pricePerKg or
  // unitPrice, and optionally tareGrams, minGrams, maxGrams, currency, group,
  // gtin (separated by |), priceFromLabel and packaged (yes/no),
  // name.<locale> and group.<locale> columns. A product needs tags or a gtin. Prices are whole
  // minor units. Every error names the file, the line and the field.
  static Catalogue load(const std::string& path);
  const Product* by_tag(const std::string& tag) const;
  // By a code's GTIN (14 digits) or a produce sticker's PLU (the product's id).
  const Product* by_gtin(const std::string& gtin14) const;
  const Product* by_id(const std::string& id) const;
  // What a shopper who knows only the coarse class ("an apple") is charged
  // for: named as the group, priced as its cheapest variety (never more than
  // the item can cost), with that variety's id. Null if no product has it.
  const Product* group(const std::string& name) const;

  std::vector<Product> groups;  // made by load() from the products' groups
};

// ISO 4217 digits after the decimal point: 2 for USD, 0 for JPY and KRW, 3 for KWD.
int minor_units_of(const std::string& currency);

}  // namespace ce
