// The lane's code reader on any image bytes, the shared barcode photos its
// seeds: decoded as the barcodes module decodes a frame, read in the
// reader's own process (this program again, as `read-codes-worker`), each
// read parsed as the checkout parses it. zxing-cpp 1.4.0 aborts on some
// DataBar photos: the worker dies, this process must not.
#include <opencv2/imgcodecs.hpp>

#include "common/image_header.h"
#include "common/product_code.h"
#include "fuzz_input.h"
#include "modules/barcodes/isolated_reader.h"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  if (*argc > 1 && std::string((*argv)[1]) == "read-codes-worker")
    exit(ce::run_code_reader_worker());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ce::IsolatedCodeReader reader;
  std::string bytes = ce::fuzz::text(data, size);
  auto header = ce::read_image_header(bytes);
  if (!header || !ce::too_many_pixels(*header).empty()) return 0;
  cv::Mat grey =
      cv::imdecode(cv::Mat(1, static_cast<int>(size), CV_8UC1, const_cast<uint8_t*>(data)),
                   cv::IMREAD_GRAYSCALE);
  if (grey.empty()) return 0;
  for (const auto& read : reader.read(grey).codes) {
    try {
      auto code = ce::parse_product_code(read.symbology, read.text);
      if (!code.gtin.empty() && !ce::gtin_check_digit_ok(code.gtin)) abort();
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
