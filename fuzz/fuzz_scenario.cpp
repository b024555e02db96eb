// The simulated lane's scenario file: loaded or refused with a message, and
// a loaded one answers for any moment.
#include "fuzz_input.h"
#include "sim/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = ce::fuzz::in_file(ce::fuzz::text(data, size), ".json");
  try {
    ce::Scenario s = ce::Scenario::load(path);
    for (long long t : {0LL, 1LL, 999LL, s.duration_ms(), s.duration_ms() / 2, 1LL << 62})
      s.at(t);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
