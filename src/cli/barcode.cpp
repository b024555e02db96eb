// `checkout-edge barcode FILE...`: the codes the lane's reader finds, one
// line each (path, symbology, text), for scripts; a photo with none prints
// nothing. The reader runs in its own process, as in the lane, so a photo
// that makes the library abort is read carefully instead of ending the run.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <opencv2/imgcodecs.hpp>

#include "cli/commands.h"
#include "common/image_files.h"
#include "common/image_header.h"
#include "common/product_code.h"
#include "modules/barcodes/isolated_reader.h"

namespace ce {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> photos_in(const std::vector<std::string>& paths) {
  std::vector<fs::path> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      out.emplace_back(p);
      continue;
    }
    std::vector<fs::path> folder;
    for (const auto& e : fs::directory_iterator(p, ec))
      if (e.is_regular_file() && (is_image_file(e.path()) || e.path().extension() == ".gif"))
        folder.push_back(e.path());
    std::sort(folder.begin(), folder.end());
    out.insert(out.end(), folder.begin(), folder.end());
  }
  return out;
}

}  // namespace

int barcode_command(const std::vector<std::string>& paths) {
  IsolatedCodeReader reader;
  int unreadable = 0;
  for (const auto& path : photos_in(paths)) {
    cv::Mat grey;
    std::string why;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      why = "no such file";
    } else {
      grey = cv::imread(path.string(), cv::IMREAD_GRAYSCALE);
      if (grey.empty()) why = "not an image OpenCV can read (JPEG, PNG, BMP, GIF)";
    }
    if (!why.empty()) {
      std::cerr << "checkout-edge barcode: " << path.string() << ": " << why << "\n";
      ++unreadable;
      continue;
    }
    for (const auto& read : reader.read(grey).codes) {
      try {
        auto code = parse_product_code(read.symbology, read.text);
        std::cout << path.string() << "\t" << code.symbology << "\t" << code.text << "\n"
                  << std::flush;
      } catch (const std::invalid_argument& e) {
        std::cerr << "checkout-edge barcode: " << path.string() << ": not counted: " << e.what()
                  << "\n";
      }
    }
  }
  if (reader.worker_deaths() > 0)
    std::cerr << "checkout-edge barcode: the code reader stopped on " << reader.worker_deaths()
              << " photo(s) and was restarted; those were read again carefully\n";
  return unreadable > 0 ? 1 : 0;
}

}  // namespace ce
