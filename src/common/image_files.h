// Which files count as photos: what OpenCV decodes and stores use.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>

namespace ce {

inline bool is_image_file(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

}  // namespace ce
