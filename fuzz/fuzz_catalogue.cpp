// A store's catalogue, JSON or CSV (the first byte chooses): loaded, or an
// error naming the file and field (a std::runtime_error). A loaded
// catalogue's prices times any weight it allows are priced or refused as
// out of range, never overflowed.
#include "fuzz_input.h"
#include "modules/checkout/catalogue.h"
#include "modules/checkout/pricing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string path =
      ce::fuzz::in_file(ce::fuzz::text(data + 1, size - 1), data[0] % 2 ? ".csv" : ".json");
  try {
    ce::Catalogue c = ce::Catalogue::load(path);
    for (const ce::Product& p : c.products) {
      int grams = p.max_grams ? p.max_grams : 1'000'000;
      if (p.plausible(grams)) ce::price_by_weight(p.price_minor, grams);
      c.by_tag(p.tags.front());
      if (!p.group.empty() && !c.group(p.group)) __builtin_trap();  // every group has its product
    }
  } catch (const std::runtime_error&) {
  }
  return 0;
}
