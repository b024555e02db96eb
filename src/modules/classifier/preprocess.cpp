#include "modules/classifier/preprocess.h"

#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/image_header.h"
#include "modules/classifier/gif_image.h"

namespace ce {
namespace {

// Integer centre as Custom Vision computes it (w//2 - crop//2).
cv::Mat centre(const cv::Mat& img, int width, int height) {
  int x = std::max(0, img.cols / 2 - width / 2), y = std::max(0, img.rows / 2 - height / 2);
  return img(cv::Rect(x, y, std::min(width, img.cols), std::min(height, img.rows)));
}

cv::Mat grow_to_cover(const cv::Mat& img, int width, int height) {
  if (img.cols >= width && img.rows >= height) return img;
  double s =
      std::max(static_cast<double>(width) / img.cols, static_cast<double>(height) / img.rows);
  cv::Mat out;
  cv::resize(img, out,
             cv::Size(std::max(width, int(std::ceil(img.cols * s))),
                      std::max(height, int(std::ceil(img.rows * s)))),
             0, 0, cv::INTER_LINEAR);
  return out;
}

}  // namespace

cv::Mat decode_image(std::string_view bytes, bool exif_orientation) {
  // The one way into pixels: what the header says decoding allocates is
  // checked before any decoder runs, whoever sent the bytes.
  auto header = read_image_header(bytes);
  if (!header) return {};
  if (std::string why = too_many_pixels(*header); !why.empty()) throw std::invalid_argument(why);
  if (bytes.substr(0, 3) == "GIF") return decode_gif(bytes);
  cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8UC1,
              const_cast<char*>(bytes.data()));  // read only: imdecode does not write
  int flags = cv::IMREAD_COLOR | (exif_orientation ? 0 : cv::IMREAD_IGNORE_ORIENTATION);
  try {
    return cv::imdecode(raw, flags);
  } catch (const cv::Exception&) {
    return {};
  }
}

cv::Mat crop_for_network(const cv::Mat& bgr, const Preprocessing& p, int width, int height) {
  cv::Mat img = bgr;
  if (p.resize == "stretch") {
    cv::resize(img, img, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
    return img;
  }
  if (p.resize == "custom-vision") {
    // The exported container: at most 1600 pixels a side, the centre
    // square, resized to 256 x 256, then the network's centre.
    if (img.cols > 1600 || img.rows > 1600) {
      double s = 1600.0 / std::max(img.cols, img.rows);
      cv::resize(img, img, cv::Size(int(img.cols * s), int(img.rows * s)), 0, 0, cv::INTER_LINEAR);
    }
    int side = std::min(img.cols, img.rows);
    img = centre(img, side, side);
    if (p.resize_to > 0)
      cv::resize(img, img, cv::Size(p.resize_to, p.resize_to), 0, 0, cv::INTER_LINEAR);
  } else if (p.resize_to > 0) {
    double s = static_cast<double>(p.resize_to) / std::min(img.cols, img.rows);
    cv::resize(img, img, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  return centre(grow_to_cover(img, width, height), width, height);
}

cv::Mat blob_for_network(const cv::Mat& crop, const Preprocessing& p) {
  return cv::dnn::blobFromImage(crop, p.scale, crop.size(), p.mean, p.rgb, false);
}

}  // namespace ce
