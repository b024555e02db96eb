// What every target shares: the fuzzer's bytes as a string, or in a file
// for the readers that take a path (named with the given extension).
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace ce::fuzz {

inline std::string text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// In a folder of this process's own (mkdtemp: a random name, 0700): a
// predictable /tmp name would let another local user plant a link there.
inline std::string in_file(const std::string& content, const std::string& extension) {
  static const std::string dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "ce-fuzz-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot make a temporary folder");
    return pattern;
  }();
  std::string path = dir + "/input" + extension;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  return path;
}

}  // namespace ce::fuzz
