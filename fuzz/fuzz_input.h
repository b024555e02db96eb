// What every target shares: the fuzzer's bytes as a string, or in a file
// for the readers that take a path (named with the given extension).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace ce::fuzz {

inline std::string text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

inline std::string in_file(const std::string& content, const std::string& extension) {
  std::string path = "/tmp/ce-fuzz-" + std::to_string(getpid()) + extension;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  return path;
}

}  // namespace ce::fuzz
