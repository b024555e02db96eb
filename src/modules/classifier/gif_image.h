// GIF, which Custom Vision accepts and OpenCV 4.6 cannot read, through
// Debian's giflib: the first frame over the logical screen, as BGR.
#pragma once

#include <opencv2/core.hpp>
#include <string_view>

namespace ce {

// An empty Mat when the bytes are not a whole, readable GIF.
cv::Mat decode_gif(std::string_view bytes);

}  // namespace ce
