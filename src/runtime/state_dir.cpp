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

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  auto tmp = path;
  tmp += ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp.string() + ": " + strerror(errno));
    out << content;
  }
  std::filesystem::rename(tmp, path);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string() + ": " + strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ce
