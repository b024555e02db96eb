#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace ce {

void write_file_atomically(const std::filesystem::path& path, const std::string& content,
                           bool sync) {
  auto tmp = path;
  tmp += ".tmp" + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0;
  for (size_t done = 0; ok && done < content.size();) {
    ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && (!sync || fsync(fd) == 0);
  int err = errno;
  if (fd >= 0) close(fd);
  if (!ok) {
    unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path.string() + ": " + strerror(err));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    unlink(tmp.c_str());
    throw std::runtime_error("cannot replace " + path.string() + ": " + strerror(err));
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string() + ": " + strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ce

namespace ce {

bool room_for_extras(const std::filesystem::path& path) {
  struct statvfs st {};
  if (statvfs(path.c_str(), &st) != 0) return true;
  const unsigned long long block = st.f_frsize ? st.f_frsize : st.f_bsize;
  const unsigned long long reserve =
      std::min<unsigned long long>(100ull << 20, st.f_blocks * block / 10);
  return static_cast<unsigned long long>(st.f_bavail) * block > reserve;
}

size_t keep_newest_files(const std::filesystem::path& dir, const std::string& extension,
                         size_t keep) {
  namespace fs = std::filesystem;
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == extension && it->is_regular_file(ec))
      files.emplace_back(it->last_write_time(ec), it->path());
  if (files.size() <= keep) return 0;
  std::sort(files.begin(), files.end());
  size_t removed = 0;
  for (size_t i = 0; i + keep < files.size(); ++i) removed += fs::remove(files[i].second, ec);
  return removed;
}

}  // namespace ce
