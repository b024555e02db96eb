#include "modules/classifier/gif_image.h"

#include <gif_lib.h>

#include <cstring>
#include <memory>

namespace ce {
namespace {

struct Reader {
  std::string_view bytes;
  size_t at = 0;
};

int read_some(GifFileType* gif, GifByteType* out, int wanted) {
  auto* r = static_cast<Reader*>(gif->UserData);
  size_t n = std::min(static_cast<size_t>(std::max(wanted, 0)), r->bytes.size() - r->at);
  std::memcpy(out, r->bytes.data() + r->at, n);
  r->at += n;
  return static_cast<int>(n);
}

struct Closer {
  void operator()(GifFileType* gif) const {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
};

}  // namespace

cv::Mat decode_gif(std::string_view bytes) {
  Reader reader{bytes};
  int error = 0;
  std::unique_ptr<GifFileType, Closer> gif(DGifOpen(&reader, read_some, &error));
  if (!gif) return {};
  // The screen is allocated before any pixel is read: a size no photo has
  // is refused here, not found out by the allocator.
  if (gif->SWidth <= 0 || gif->SHeight <= 0 ||
      static_cast<long long>(gif->SWidth) * gif->SHeight > (1LL << 28))
    return {};
  if (DGifSlurp(gif.get()) != GIF_OK || gif->ImageCount < 1) return {};
  const SavedImage& frame = gif->SavedImages[0];
  const GifImageDesc& d = frame.ImageDesc;
  const ColorMapObject* colours = d.ColorMap ? d.ColorMap : gif->SColorMap;
  if (!colours || !frame.RasterBits) return {};
  GraphicsControlBlock control{};
  control.TransparentColor = NO_TRANSPARENT_COLOR;
  DGifSavedExtensionToGCB(gif.get(), 0, &control);

  auto bgr = [&](int index) {
    if (index < 0 || index >= colours->ColorCount) return cv::Vec3b(255, 255, 255);
    const GifColorType& c = colours->Colors[index];
    return cv::Vec3b(c.Blue, c.Green, c.Red);
  };
  // Transparent pixels show the screen's background, or white without one.
  cv::Vec3b background(255, 255, 255);
  if (gif->SColorMap && gif->SBackGroundColor < gif->SColorMap->ColorCount) {
    const GifColorType& c = gif->SColorMap->Colors[gif->SBackGroundColor];
    background = cv::Vec3b(c.Blue, c.Green, c.Red);
  }
  cv::Mat img(gif->SHeight, gif->SWidth, CV_8UC3,
              cv::Scalar(background[0], background[1], background[2]));
  for (int y = 0; y < d.Height; ++y) {
    int row = d.Top + y;
    if (row < 0 || row >= img.rows) continue;
    for (int x = 0; x < d.Width; ++x) {
      int col = d.Left + x;
      if (col < 0 || col >= img.cols) continue;
      int index = frame.RasterBits[static_cast<size_t>(y) * d.Width + x];
      if (index == control.TransparentColor) continue;
      img.at<cv::Vec3b>(row, col) = bgr(index);
    }
  }
  return img;
}

}  // namespace ce
