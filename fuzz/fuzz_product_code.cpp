// What a scanner types or a module sends as a product code: a scanner's
// line, a reader's text under each symbology, a hub message. Whatever the
// bytes: a ProductCode whose GTIN has 14 digits and a right check digit,
// or std::invalid_argument; never a crash.
#include <nlohmann/json.hpp>

#include "common/product_code.h"
#include "fuzz_input.h"

namespace {

void check(const ce::ProductCode& code) {
  if (!code.gtin.empty() && (code.gtin.size() != 14 || !ce::gtin_check_digit_ok(code.gtin)))
    abort();
  if (code.net_weight_mg && *code.net_weight_mg < 0) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text = ce::fuzz::text(data, size);
  try {
    check(ce::parse_scanned_code(text));
  } catch (const std::invalid_argument&) {
  }
  for (const char* symbology :
       {"EAN-13", "EAN-8", "UPC-A", "UPC-E", "DataBar", "DataBar Expanded", "QR"}) {
    try {
      check(ce::parse_product_code(symbology, text));
    } catch (const std::invalid_argument&) {
    }
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  try {
    check(ce::product_code_from_json(j));
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
