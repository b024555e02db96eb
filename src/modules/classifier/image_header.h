// What image bytes say about themselves before anything decodes them: the
// format, the size in pixels, and whether they end where the format ends.
// The REST API refuses a 20000 x 20000 PNG from its 400 kB header, and a
// JPEG cut short, which OpenCV would decode into a half-grey picture.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ce {

struct ImageHeader {
  std::string format;  // "jpeg", "png", "bmp" or "gif"
  long long width = 0, height = 0;
  bool complete = false;  // the end marker the format requires is there
};

// nullopt when the bytes are none of the formats Custom Vision accepts, or
// their header is cut short.
std::optional<ImageHeader> read_image_header(std::string_view bytes);

}  // namespace ce
