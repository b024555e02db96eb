#include "common/shared_cache.h"

#include <cstdlib>

namespace ce {

std::filesystem::path shared_files_cache() {
  if (const char* c = std::getenv("CHECKOUT_EDGE_CACHE"); c && *c) return c;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return std::filesystem::path(x) / "checkout-edge";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : "/tmp") / ".cache/checkout-edge";
}

}  // namespace ce
