// ZBar, the other reader Debian has, for the barcode benchmark's comparison.
// Its own file: ZBar's headers and zxing-cpp's define clashing names.
#include <zbar.h>

#include <opencv2/core.hpp>
#include <string>
#include <vector>

std::vector<std::string> zbar_codes(const cv::Mat& grey) {
  zbar::ImageScanner scanner;
  scanner.set_config(zbar::ZBAR_NONE, zbar::ZBAR_CFG_ENABLE, 0);
  for (auto type : {zbar::ZBAR_EAN13, zbar::ZBAR_EAN8, zbar::ZBAR_UPCA, zbar::ZBAR_UPCE,
                    zbar::ZBAR_DATABAR, zbar::ZBAR_DATABAR_EXP})
    scanner.set_config(type, zbar::ZBAR_CFG_ENABLE, 1);
  cv::Mat packed = grey.clone();
  zbar::Image image(packed.cols, packed.rows, "Y800", packed.data, packed.total());
  scanner.scan(image);
  std::vector<std::string> out;
  for (auto s = image.symbol_begin(); s != image.symbol_end(); ++s) out.push_back(s->get_data());
  return out;
}
