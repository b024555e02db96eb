#define ZX_USE_UTF8 1
#include "modules/barcodes/code_reader.h"

#include <ZXing/ReadBarcode.h>

namespace ce {
namespace {

std::string symbology_name(ZXing::BarcodeFormat f) {
  using F = ZXing::BarcodeFormat;
  switch (f) {
    case F::EAN13:
      return "EAN-13";
    case F::EAN8:
      return "EAN-8";
    case F::UPCA:
      return "UPC-A";
    case F::UPCE:
      return "UPC-E";
    case F::DataBar:
      return "DataBar";
    case F::DataBarExpanded:
      return "DataBar Expanded";
    default:
      return ZXing::ToString(f);
  }
}

}  // namespace

std::vector<CodeRead> read_codes_in(const cv::Mat& grey, ReadEffort effort) {
  CV_Assert(grey.type() == CV_8UC1);
  using F = ZXing::BarcodeFormat;
  ZXing::ImageView view(grey.data, grey.cols, grey.rows, ZXing::ImageFormat::Lum,
                        static_cast<int>(grey.step));
  ZXing::DecodeHints hints;
  hints.setFormats(F::EAN13 | F::EAN8 | F::UPCA | F::UPCE | F::DataBar | F::DataBarExpanded);
  if (effort == ReadEffort::Careful) hints.setTryHarder(false).setTryRotate(false);
  auto result = ZXing::ReadBarcode(view, hints);
  if (!result.isValid()) return {};
  if (result.format() == F::UPCE) {
    // A UPC-E carries six digits and a check digit, so a smudged one can
    // misread into another valid code (upce-2/14.png, 04963406, reads as
    // 04904144 on two rows). It counts only if four rows read it alike: on
    // the shared photos that keeps 34 of the 35 right reads and drops the wrong one.
    ZXing::DecodeHints strict;
    strict.setFormats(F::UPCE).setMinLineCount(4);
    if (effort == ReadEffort::Careful) strict.setTryHarder(false).setTryRotate(false);
    auto again = ZXing::ReadBarcode(view, strict);
    if (!again.isValid() || again.text() != result.text()) return {};
  }
  return {{symbology_name(result.format()), result.text()}};
}

}  // namespace ce
