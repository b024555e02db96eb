#include "runtime/state_dir.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ce {

StateDir StateDir::resolve(const std::string& flag) {
  if (!flag.empty()) return {std::filesystem::absolute(flag)};
  if (const char* e = std::getenv("CHECKOUT_EDGE_HOME"); e && *e)
    return {std::filesystem::absolute(e)};
  const char* home = std::getenv("HOME");
  return {std::filesystem::path(home && *home ? home : "/tmp") / ".local/state/checkout-edge"};
}

}  // namespace ce
