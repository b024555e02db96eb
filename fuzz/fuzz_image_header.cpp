// The REST API's first look at an image: whatever the bytes, a size that
// is positive, and no read outside them (AddressSanitizer).
#include <cstdlib>

#include "common/image_header.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes = ce::fuzz::text(data, size);
  auto header = ce::read_image_header(bytes);
  if (header && (header->width <= 0 || header->height <= 0)) abort();
  return 0;
}
