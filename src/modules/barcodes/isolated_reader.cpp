#include "modules/barcodes/isolated_reader.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <stdexcept>

extern char** environ;

namespace ce {
namespace {

constexpr int kReplyTimeoutMs = 5000;  // a thorough read of a 12-megapixel photo takes < 1 s
constexpr long long kMaxPixels = 40'000'000;

bool send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool read_all(int fd, char* data, size_t size) {
  while (size > 0) {
    ssize_t n = read(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

std::string without_control_characters(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 && c != '\x1d') c = ' ';
  return s;
}

}  // namespace

IsolatedCodeReader::IsolatedCodeReader(std::string program) : program_(std::move(program)) {
  if (program_.empty()) {
    std::array<char, 4096> self{};
    ssize_t n = readlink("/proc/self/exe", self.data(), self.size() - 1);
    if (n <= 0) throw std::runtime_error("cannot find this program to start the code reader");
    program_.assign(self.data(), static_cast<size_t>(n));
  }
  start();
}

IsolatedCodeReader::~IsolatedCodeReader() { stop(); }

void IsolatedCodeReader::start() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw std::runtime_error(std::string("cannot start the code reader: ") + strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  // The module blocks SIGTERM for its own wait; the worker must not inherit that.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  std::string sub = "read-codes-worker";
  char* argv[] = {program_.data(), sub.data(), nullptr};
  int rc = posix_spawn(&pid_, program_.c_str(), &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    pid_ = -1;
    throw std::runtime_error("cannot start the code reader " + program_ + ": " + strerror(rc));
  }
  socket_ = fds[0];
}

void IsolatedCodeReader::stop() {
  if (socket_ >= 0) close(socket_);  // the worker sees the end of its input and exits
  socket_ = -1;
  if (pid_ > 0) {
    for (int i = 0; i < 50; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      usleep(10'000);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

bool IsolatedCodeReader::ask(const cv::Mat& grey, ReadEffort effort, std::vector<CodeRead>& codes) {
  if (pid_ < 0) start();
  cv::Mat packed = grey.isContinuous() ? grey : grey.clone();
  std::string header = std::to_string(packed.cols) + " " + std::to_string(packed.rows) + " " +
                       (effort == ReadEffort::Thorough ? "thorough" : "careful") + "\n";
  bool sent = send_all(socket_, header.data(), header.size()) &&
              send_all(socket_, reinterpret_cast<const char*>(packed.data), packed.total());
  std::string reply;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kReplyTimeoutMs);
  bool whole = false;
  while (sent && !whole) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{socket_, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    std::array<char, 4096> buffer{};
    ssize_t n = ::read(socket_, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buffer.data(), static_cast<size_t>(n));
    whole = reply.size() >= 2 && reply.compare(reply.size() - 2, 2, "\n\n") == 0;
    whole = whole || reply == "\n";
  }
  if (!whole) {
    ++deaths_;
    stop();
    return false;
  }
  size_t at = 0;
  while (at < reply.size()) {
    size_t end = reply.find('\n', at);
    std::string line = reply.substr(at, end - at);
    at = end + 1;
    if (line.empty()) break;
    size_t tab = line.find('\t');
    if (tab != std::string::npos) codes.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return true;
}

IsolatedCodeReader::Reading IsolatedCodeReader::read(const cv::Mat& grey) {
  CV_Assert(grey.type() == CV_8UC1);
  Reading r;
  if (grey.empty() || static_cast<long long>(grey.total()) > kMaxPixels) return r;
  if (ask(grey, ReadEffort::Thorough, r.codes)) return r;
  r.worker_deaths = 1;
  std::cerr << "barcodes: the code reader stopped on a " << grey.cols << "x" << grey.rows
            << " image; reading it again carefully in a new one\n";
  if (!ask(grey, ReadEffort::Careful, r.codes)) ++r.worker_deaths;
  return r;
}

int run_code_reader_worker() {
  // The answer must reach the module even if it stopped listening (SIGPIPE).
  signal(SIGPIPE, SIG_IGN);
  std::string header;
  for (;;) {
    header.clear();
    char c;
    while (read_all(STDIN_FILENO, &c, 1) && c != '\n') {
      header += c;
      if (header.size() > 64) return 2;
    }
    if (header.empty()) return 0;
    int width = 0, height = 0;
    char effort[16] = {};
    if (sscanf(header.c_str(), "%d %d %15s", &width, &height, effort) != 3 || width <= 0 ||
        height <= 0 || static_cast<long long>(width) * height > kMaxPixels)
      return 2;
    cv::Mat grey(height, width, CV_8UC1);
    if (!read_all(STDIN_FILENO, reinterpret_cast<char*>(grey.data), grey.total())) return 0;
    auto codes = read_codes_in(
        grey, std::strcmp(effort, "careful") == 0 ? ReadEffort::Careful : ReadEffort::Thorough);
    std::string reply;
    for (const auto& code : codes)
      reply += code.symbology + "\t" + without_control_characters(code.text) + "\n";
    reply += "\n";
    if (write(STDOUT_FILENO, reply.data(), reply.size()) != static_cast<ssize_t>(reply.size()))
      return 0;
  }
}

}  // namespace ce
