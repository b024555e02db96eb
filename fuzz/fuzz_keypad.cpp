// The keypad's device bytes, read as the kernel's input_event records: each
// is a key the checkout knows or nothing.
#include <linux/input.h>

#include <cstring>

#include "fuzz_input.h"
#include "modules/keypad/key_codes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (size_t at = 0; at + sizeof(input_event) <= size; at += sizeof(input_event)) {
    input_event e;
    std::memcpy(&e, data + at, sizeof e);
    if (auto name = ce::key_name(e); name && (name->empty() || name->size() > 5)) __builtin_trap();
  }
  return 0;
}
