// A deployment manifest: any JSON is either a deployment or a ManifestError
// that names the path; nothing else may escape (an nlohmann exception or a
// std::out_of_range would be a crash of `check` or `run`).
#include <nlohmann/json.hpp>

#include "fuzz_input.h"
#include "runtime/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  try {
    ce::parse_manifest(j);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
