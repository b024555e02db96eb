// The one way image bytes become pixels (REST, hub frames, enrollment,
// kiosk uploads): the header check, then the real decoders (OpenCV's JPEG,
// PNG and BMP readers; giflib for GIF). Whatever the bytes: no crash, no read
// outside them, and never a picture of more pixels than the limit.
#include <cstdlib>
#include <stdexcept>

#include "common/image_header.h"
#include "fuzz_input.h"
#include "modules/classifier/preprocess.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes = ce::fuzz::text(data, size);
  cv::Mat image;
  try {
    image = ce::decode_image(bytes, true);
  } catch (const std::invalid_argument&) {
    return 0;  // over the pixel limit, refused before decoding
  }
  if (image.empty()) return 0;
  if (image.rows <= 0 || image.cols <= 0 ||
      static_cast<long long>(image.rows) * image.cols > ce::kMaxImagePixels)
    abort();
  return 0;
}
