// Route text as a manifest carries it: parsed or refused with a RouteError,
// never anything else; a parsed route matches without crashing.
#include "fuzz_input.h"
#include "runtime/routes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text = ce::fuzz::text(data, size);
  try {
    ce::Route r = ce::parse_route("fuzzed", text);
    r.matches("camera", "frames", {{"contentType", "image/jpeg"}, {"sceneId", text.substr(0, 8)}});
    r.matches(text.substr(0, 16), text.substr(0, 4), {});
  } catch (const ce::RouteError&) {
  }
  return 0;
}
