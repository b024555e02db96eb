#include "common/image_header.h"

#include <cstdint>
#include <limits>

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

// Past a run of data sub-blocks (each a length byte, then that many bytes,
// ending with a zero length); npos when the bytes end first.
size_t after_sub_blocks(std::string_view b, size_t at) {
  while (at < b.size()) {
    size_t n = byte_at(b, at);
    if (n == 0) return at + 1;
    at += 1 + n;
  }
  return std::string_view::npos;
}

// The size is the screen's, but giflib allocates every frame as its own
// descriptor says: a 1 x 1 screen may hold a 32000 x 32000 frame. So every
// block is walked and each frame's pixels counted.
std::optional<ImageHeader> gif(std::string_view b) {
  if (b.size() < 13) return std::nullopt;
  ImageHeader h{"gif", little16(b, 6), little16(b, 8)};
  h.pixels = h.width * h.height;
  unsigned packed = byte_at(b, 10);
  size_t at = 13 + ((packed & 0x80) ? 3 * (2u << (packed & 7)) : 0);
  while (at < b.size()) {
    unsigned block = byte_at(b, at);
    if (block == 0x3B) {  // the trailer, which giflib needs
      h.complete = true;
      return h;
    }
    if (block == 0x21) {  // an extension: its label, then sub-blocks
      if (at + 2 > b.size()) break;
      at = after_sub_blocks(b, at + 2);
    } else if (block == 0x2C) {  // a frame: its descriptor, colours, data
      if (at + 10 > b.size()) break;
      h.pixels += little16(b, at + 5) * little16(b, at + 7);
      unsigned local = byte_at(b, at + 9);
      at += 10 + ((local & 0x80) ? 3 * (2u << (local & 7)) : 0);
      if (at + 1 > b.size()) break;
      at = after_sub_blocks(b, at + 1);  // past the LZW code size
    } else {
      break;  // not a GIF block: giflib stops here too
    }
    if (at == std::string_view::npos) break;
  }
  return h;  // cut short: no trailer
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
  // A PNG may say 4294967295 x 4294967295: more than a long long holds.
  if (h && h->pixels == 0)
    h->pixels = h->width > std::numeric_limits<long long>::max() / h->height
                    ? std::numeric_limits<long long>::max()
                    : h->width * h->height;
  return h;
}

std::string too_many_pixels(const ImageHeader& h, long long max_pixels) {
  if (h.width <= 0 || h.height <= 0 || h.width > max_pixels / h.height)
    return "the image is " + std::to_string(h.width) + " x " + std::to_string(h.height) +
           " pixels, over the limit of " + std::to_string(max_pixels / 1'000'000) +
           " megapixels; send it smaller";
  if (h.pixels > max_pixels)
    return "the " + h.format + " holds frames of " + std::to_string(h.pixels / 1'000'000) +
           " megapixels in all, over the limit of " + std::to_string(max_pixels / 1'000'000) +
           "; send one picture, smaller";
  return {};
}

}  // namespace ce
