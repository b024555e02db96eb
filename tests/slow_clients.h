// Slowloris: connections that send a request's headers a line every 2 s and
// never finish them, as a flood of slow clients would, `per_address` from
// each of 127.0.1.1, 127.0.1.2, ... Closed when the object goes.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ce::testing_support {

// A socket bound to `from` (a loopback address), connecting to `port`
// without waiting; -1 when it cannot.
inline int connect_from(const std::string& from, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in local{}, addr{};
  local.sin_family = addr.sin_family = AF_INET;
  inet_pton(AF_INET, from.c_str(), &local.sin_addr);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0 &&
      (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 || errno == EINPROGRESS))
    return fd;
  close(fd);
  return -1;
}

class SlowClients {
 public:
  SlowClients(int port, int count, int per_address = 50) {
    // All at once, as a flood comes: one by one, each connect would wait out
    // the retries of a SYN the server's short backlog dropped.
    std::vector<pollfd> pending;
    for (int i = 0; i < count; ++i) {
      int fd = connect_from("127.0.1." + std::to_string(1 + i / per_address), port);
      if (fd >= 0) pending.push_back({fd, POLLOUT, 0});
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!pending.empty() && std::chrono::steady_clock::now() < deadline) {
      if (poll(pending.data(), pending.size(), 200) <= 0) continue;
      for (auto it = pending.begin(); it != pending.end();) {
        if (!it->revents) {
          ++it;
          continue;
        }
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(it->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) {
          std::string start = "GET /kiosk HTTP/1.1\r\nHost: 127.0.0.1\r\n";
          (void)!send(it->fd, start.data(), start.size(), MSG_NOSIGNAL);
          fds_.push_back(it->fd);
        } else {
          close(it->fd);
        }
        it = pending.erase(it);
      }
    }
    for (auto& p : pending) close(p.fd);
    drip_ = std::thread([this] {
      for (int n = 0; !stop_; ++n) {
        for (int i = 0; i < 20 && !stop_; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::string line = "X-Slow-" + std::to_string(n) + ": 1\r\n";
        std::lock_guard lock(mutex_);
        for (int fd : fds_) (void)!send(fd, line.data(), line.size(), MSG_NOSIGNAL);
      }
    });
  }
  ~SlowClients() {
    stop_ = true;
    drip_.join();
    for (int fd : fds_) close(fd);
  }
  size_t connected() const { return fds_.size(); }

  // How many the server has closed, or answered (a 503 or a 400): those it
  // no longer waits for.
  size_t let_go() {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (int fd : fds_) {
      char byte;
      ssize_t got = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (got > 0 || got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) ++n;
    }
    return n;
  }

 private:
  std::vector<int> fds_;
  std::mutex mutex_;
  std::atomic<bool> stop_ = false;
  std::thread drip_;
};

}  // namespace ce::testing_support
