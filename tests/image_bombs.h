// Decompression bombs: a few hundred bytes whose headers promise pictures
// of tens of gigabytes. Made by hand: no encoder writes a picture that
// large quickly, and the lane must refuse them from their headers alone.
#pragma once

#include <cstdint>
#include <string>

namespace ce::testing_support {

inline std::string big_endian32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

inline std::string little_endian16(unsigned v) { return {char(v & 0xFF), char(v >> 8)}; }

// A PNG that says width x height (RGB) and holds no pixels.
inline std::string png_saying(uint32_t width, uint32_t height) {
  std::string ihdr =
      "IHDR" + big_endian32(width) + big_endian32(height) + std::string("\x08\x02\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1a\n", 8) + big_endian32(13) + ihdr + "CRC!" + big_endian32(0) +
         "IEND" + "CRC!";
}

// A GIF whose screen is 1 x 1 and whose one frame is width x height: its
// data is a clear code and the end code, as small as a frame can be.
inline std::string gif_with_frame(unsigned width, unsigned height) {
  std::string g =
      "GIF89a" + little_endian16(1) + little_endian16(1) + std::string("\x00\x00\x00", 3);
  g += "\x2C" + little_endian16(0) + little_endian16(0) + little_endian16(width) +
       little_endian16(height) + std::string("\x80", 1);  // a local table of 2 colours
  g += std::string("\x00\x00\x00\xFF\xFF\xFF", 6);        // black, white
  g += std::string("\x02\x01\x2C\x00", 4);                // LZW size 2; one byte: clear, end
  g += ";";
  return g;
}

}  // namespace ce::testing_support
