// Codes in an image, read with zxing-cpp in this process. Debian 12's
// zxing-cpp 1.4.0 is built with assertions on and aborts the process on
// some GS1 DataBar photos: the lane calls this only in the reader's own
// process (isolated_reader.h), never in a module's.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace ce {

struct CodeRead {
  std::string symbology;  // "EAN-13", "EAN-8", "UPC-A", "UPC-E", "DataBar", "DataBar Expanded"
  std::string text;
};

// Thorough: the library's full search (every row, rotated). Careful: fewer
// rows and no rotation, which never reached the assertion on the shared
// photos; the second try after a thorough read aborted.
enum class ReadEffort { Thorough, Careful };

// `grey`: 8-bit, one channel. At most one code per image: an item on the
// scale shows one product, and the multi-code path is where 1.4.0 asserts.
std::vector<CodeRead> read_codes_in(const cv::Mat& grey, ReadEffort effort);

}  // namespace ce
