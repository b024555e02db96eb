// A serial device for tests, on the far end of a pseudo-terminal.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace ce::testing_support {

// A device on the far end of a pseudo-terminal: answers each command the
// driver sends with what `respond` returns, written in the pieces given.
class FakeSerialDevice {
 public:
  using Respond = std::function<std::vector<std::string>(const std::string& command)>;
  FakeSerialDevice(char terminator, Respond respond)
      : terminator_(terminator), respond_(std::move(respond)) {
    master_ = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(master_);
    unlockpt(master_);
    path_ = ptsname(master_);
    thread_ = std::thread([this] { run(); });
  }
  ~FakeSerialDevice() { unplug(); }
  const std::string& path() const { return path_; }
  void unplug() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (master_ >= 0) close(master_);
    master_ = -1;
  }

 private:
  void run() {
    std::string pending;
    while (!stop_) {
      pollfd p{master_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      char buf[64];
      ssize_t n = read(master_, buf, sizeof buf);
      if (n <= 0) continue;
      pending.append(buf, n);
      size_t end;
      while ((end = terminator_ ? pending.find(terminator_)
                                : (pending.empty() ? std::string::npos : 0)) != std::string::npos) {
        std::string command = pending.substr(0, end + 1);
        pending.erase(0, end + 1);
        for (auto& piece : respond_(command)) {
          (void)!write(master_, piece.data(), piece.size());
          std::this_thread::sleep_for(
              std::chrono::milliseconds(5));  // the next piece arrives later
        }
      }
    }
  }
  char terminator_;
  Respond respond_;
  int master_ = -1;
  std::string path_;
  std::atomic<bool> stop_ = false;
  std::thread thread_;
};

}  // namespace ce::testing_support
