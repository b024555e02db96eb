// What a product's code says, whoever read it (the camera or a handheld
// scanner): the GTIN as 14 digits, a produce PLU, and what a GS1 label
// from a store's scale adds (net weight, price).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace ce {

struct ProductCode {
  std::string symbology;  // "EAN-13", "EAN-8", "UPC-A", "UPC-E", "DataBar", "DataBar Expanded"
  std::string text;       // as read: digits, or a GS1 element string "(01)...(3103)..."
  std::string gtin;       // 14 digits with a valid check digit; empty if the code has none
  std::string plu;        // a produce sticker's 4-5 digit PLU; empty if none
  // A GS1 label's net weight (AI 310y, kilograms) and price (AI 392y/393y):
  // the price as its digits over 10^price_decimals, in the label's currency
  // (ISO 4217 numeric; empty: the store's).
  std::optional<long long> net_weight_mg;
  std::optional<long long> price_amount;
  int price_decimals = 0;
  std::string price_currency;
};

// GS1's mod-10 check digit over the digits before the last; false for
// anything but 8, 12, 13 or 14 digits.
bool gtin_check_digit_ok(std::string_view digits);

// A GTIN-8/12/13/14 (or a UPC-E, expanded) as 14 digits; nullopt when the
// length or the check digit is wrong.
std::optional<std::string> gtin14(std::string_view digits, bool upc_e = false);

// UPC-E's 8 digits (number system, six, check) as the UPC-A they stand for.
std::optional<std::string> upc_e_to_upc_a(std::string_view upc_e);

// The code a reader returned. Throws std::invalid_argument saying what is
// wrong (a bad check digit, an element string that does not parse), so a
// misread never prices a line.
ProductCode parse_product_code(std::string symbology, std::string text);

// A handheld scanner's line: the symbology is guessed from the digits (a
// scanner in its default setup sends no identifier). Throws as above.
ProductCode parse_scanned_code(std::string_view line);

nlohmann::json to_json(const ProductCode& code);
// Throws std::invalid_argument for a message that is not a product code.
ProductCode product_code_from_json(const nlohmann::json& j);

}  // namespace ce
