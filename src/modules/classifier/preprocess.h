// From image bytes to the network's input, the way the model was trained.
#pragma once

#include <opencv2/core.hpp>
#include <string_view>

#include "modules/classifier/model_package.h"

namespace ce {

// Decodes JPEG/PNG/BMP/GIF bytes to BGR, turned upright by the EXIF orientation
// when asked. An empty Mat when the bytes are not a readable image; throws
// std::invalid_argument, saying so, when they would take more than
// kMaxImagePixels (common/image_header.h) to decode.
cv::Mat decode_image(std::string_view bytes, bool exif_orientation);

// The centre region the network sees, exactly width x height.
cv::Mat crop_for_network(const cv::Mat& bgr, const Preprocessing& p, int width, int height);

// The NCHW float blob, with channel order, mean and scale applied.
cv::Mat blob_for_network(const cv::Mat& crop, const Preprocessing& p);

}  // namespace ce
