#include "modules/classifier/image_header.h"

#include <cstdint>

namespace ce {
namespace {

unsigned byte_at(std::string_view b, size_t i) { return static_cast<unsigned char>(b[i]); }
long long big16(std::string_view b, size_t i) { return (byte_at(b, i) << 8) | byte_at(b, i + 1); }
long long big32(std::string_view b, size_t i) { return (big16(b, i) << 16) | big16(b, i + 2); }
long long little16(std::string_view b, size_t i) {
  return byte_at(b, i) | (byte_at(b, i + 1) << 8);
}
long long little32(std::string_view b, size_t i) {
  return static_cast<int32_t>(static_cast<uint32_t>(little16(b, i) | (little16(b, i + 2) << 16)));
}

std::optional<ImageHeader> jpeg(std::string_view b) {
  ImageHeader h{"jpeg"};
  // Markers up to the first scan; a frame header (SOF0..SOF15 but DHT,
  // JPG and DAC) carries the size.
  size_t at = 2;
  while (at + 4 <= b.size()) {
    if (byte_at(b, at) != 0xFF) return std::nullopt;
    unsigned marker = byte_at(b, at + 1);
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length
      at += 2;
      continue;
    }
    long long length = big16(b, at + 2);
    if (length < 2) return std::nullopt;
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      if (at + 9 > b.size()) return std::nullopt;
      h.height = big16(b, at + 5);
      h.width = big16(b, at + 7);
    }
    if (marker == 0xDA) {
      if (h.width == 0) return std::nullopt;  // a scan before any frame header
      // The image ends with EOI after the (last) scan's entropy-coded data.
      size_t eoi = b.rfind("\xFF\xD9");
      h.complete = eoi != std::string_view::npos && eoi > at;
      return h;
    }
    at += 2 + static_cast<size_t>(length);
  }
  return std::nullopt;
}

std::optional<ImageHeader> png(std::string_view b) {
  if (b.size() < 24 || b.substr(12, 4) != "IHDR") return std::nullopt;
  ImageHeader h{"png", big32(b, 16), big32(b, 20)};
  size_t end = b.rfind("IEND");
  h.complete = end != std::string_view::npos && end > 12;
  return h;
}

std::optional<ImageHeader> bmp(std::string_view b) {
  if (b.size() < 26) return std::nullopt;
  long long height = little32(b, 22);
  ImageHeader h{"bmp", little32(b, 18), height < 0 ? -height : height};
  h.complete = static_cast<long long>(b.size()) >= static_cast<uint32_t>(little32(b, 2));
  return h;
}

std::optional<ImageHeader> gif(std::string_view b) {
  if (b.size() < 10) return std::nullopt;
  // giflib refuses a GIF without its trailer; the size is the screen's.
  return ImageHeader{"gif", little16(b, 6), little16(b, 8), true};
}

}  // namespace

std::optional<ImageHeader> read_image_header(std::string_view b) {
  std::optional<ImageHeader> h;
  if (b.size() >= 3 && b.substr(0, 3) == "\xFF\xD8\xFF")
    h = jpeg(b);
  else if (b.size() >= 8 && b.substr(0, 8) == "\x89PNG\r\n\x1a\n")
    h = png(b);
  else if (b.size() >= 2 && b.substr(0, 2) == "BM")
    h = bmp(b);
  else if (b.size() >= 6 && (b.substr(0, 6) == "GIF87a" || b.substr(0, 6) == "GIF89a"))
    h = gif(b);
  // No picture is 0 pixels wide (a JPEG's DNL height is not read here).
  if (h && (h->width <= 0 || h->height <= 0)) return std::nullopt;
  return h;
}

}  // namespace ce
