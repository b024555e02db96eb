#include "cli/paths.h"

#include <cstdlib>
#include <filesystem>

namespace ce {

std::string resolve_shared_dir(const std::string& flag) {
  std::string dir = flag;
  if (dir.empty())
    if (const char* e = std::getenv("CHECKOUT_EDGE_SHARED"); e && *e) dir = e;
  if (dir.empty()) dir = CHECKOUT_EDGE_DEFAULT_SHARED;
  return std::filesystem::weakly_canonical(std::filesystem::absolute(dir)).string();
}

std::string state_dir_flag(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* e = std::getenv("CHECKOUT_EDGE_HOME"); e && *e) return e;
  std::error_code ec;
  if (std::filesystem::read_symlink("/proc/self/exe", ec) == CHECKOUT_EDGE_PACKAGED_PROGRAM)
    return CHECKOUT_EDGE_PACKAGED_STATE;
  return "";
}

}  // namespace ce
