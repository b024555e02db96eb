// What image bytes say about themselves before anything decodes them: the
// format, the size in pixels, and whether they end where the format ends.
// The lane refuses a 20000 x 20000 PNG from its 400 kB header, and the REST
// API a JPEG cut short, which OpenCV would decode into a half-grey picture.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ce {

struct ImageHeader {
  std::string format;  // "jpeg", "png", "bmp" or "gif"
  long long width = 0, height = 0;
  bool complete = false;  // the end marker the format requires is there
  // What decoding allocates, in pixels: width x height, or for a GIF its
  // screen and every frame its descriptors announce.
  long long pixels = 0;
};

// Every image the lane takes in (REST, the hub's frames, enrollment) is
// refused beyond this: a 400 kB PNG can say 20000 x 20000.
inline constexpr long long kMaxImagePixels = 40'000'000;

// The pixels `header` says decoding takes, or why they are too many: "the
// image is 32000 x 32000 pixels, over the limit of 40 megapixels; ...".
std::string too_many_pixels(const ImageHeader& header, long long max_pixels = kMaxImagePixels);

// nullopt when the bytes are none of the formats Custom Vision accepts, or
// their header is cut short.
std::optional<ImageHeader> read_image_header(std::string_view bytes);

}  // namespace ce
