// Price per kilogram times grams, in every rounding: a price, or an error
// for negative or overflowing input; UBSan stops any signed overflow.
#include <cstring>
#include <stdexcept>

#include "fuzz_input.h"
#include "modules/checkout/pricing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 17) return 0;
  long long price, grams;
  std::memcpy(&price, data, 8);
  std::memcpy(&grams, data + 8, 8);
  auto rounding = static_cast<ce::Rounding>(data[16] % 4);
  try {
    long long p = ce::price_by_weight(price, grams, rounding);
    if (p < 0) __builtin_trap();
  } catch (const std::invalid_argument&) {
  } catch (const std::overflow_error&) {
  }
  return 0;
}
