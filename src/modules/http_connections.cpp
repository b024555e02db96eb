#include "modules/http_connections.h"

#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>

namespace ce {

namespace {

using Clock = std::chrono::steady_clock;

// A handler parses JSON and decodes images on the heap; 512 kB is ample
// and lets hundreds of idle connections cost little.
constexpr size_t kStackBytes = 512 * 1024;

struct Job {
  std::function<void()> connection;
  std::function<void()> done;
};

void* run(void* arg) {
  std::unique_ptr<Job> job(static_cast<Job*>(arg));
  try {
    job->connection();
  } catch (const std::exception& e) {
    std::cerr << "http: a connection's thread failed: " << e.what() << "\n";
  }
  job->done();
  return nullptr;
}

int poll_one(int fd, short events, long long ms) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = poll(&p, 1, static_cast<int>(std::clamp(ms, 0LL, 60'000LL)));
  } while (n < 0 && errno == EINTR);
  return n;
}

void numeric_name(const sockaddr_storage& addr, socklen_t len, std::string& ip, int& port) {
  char host[NI_MAXHOST], service[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof host, service,
                  sizeof service, NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(service);
  }
}

std::string peer_address(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  std::string ip;
  int port = 0;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    numeric_name(addr, len, ip, port);
  return ip;
}

// httplib's own socket stream is not in its public header; this one is the
// same (buffered reads, timed writes) but every read also keeps the
// request's deadline, which httplib's per-read timeout cannot: a client
// that sends a byte every 4 s never times out a read of 5 s.
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(int fd, std::chrono::milliseconds read_timeout,
                 std::chrono::milliseconds write_timeout)
      : fd_(fd), read_timeout_(read_timeout), write_timeout_(write_timeout) {}

  void read_by(Clock::time_point deadline) { deadline_ = deadline; }
  // Whether a read failed for the deadline: httplib answers 400 and would
  // read on, and the drip would start a new request.
  bool late() const { return late_; }

  // The next request's first byte, waiting at most `idle` while `serving`.
  bool wait_for_request(std::chrono::milliseconds idle, const std::function<bool()>& serving) {
    if (pos_ < len_) return true;
    auto until = Clock::now() + idle;
    while (serving() && Clock::now() < until) {
      int n = poll_one(fd_, POLLIN, 100);
      if (n != 0) return n > 0;
    }
    return false;
  }

  bool is_readable() const override {
    return pos_ < len_ || poll_one(fd_, POLLIN, read_wait_ms()) > 0;
  }
  bool is_writable() const override { return poll_one(fd_, POLLOUT, write_timeout_.count()) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (pos_ == len_) {
      late_ = Clock::now() >= deadline_;
      if (late_ || poll_one(fd_, POLLIN, read_wait_ms()) <= 0) {
        late_ = Clock::now() >= deadline_;
        return -1;
      }
      ssize_t n;
      do {
        n = recv(fd_, buffer_, sizeof buffer_, 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      pos_ = 0;
      len_ = static_cast<size_t>(n);
    }
    size_t n = std::min(size, len_ - pos_);
    std::memcpy(ptr, buffer_ + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = send(fd_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      numeric_name(addr, len, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      numeric_name(addr, len, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  // Past the deadline, no wait at all: the read fails and the connection ends.
  long long read_wait_ms() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    return std::max(0LL, std::min<long long>(left.count(), read_timeout_.count()));
  }

  int fd_;
  std::chrono::milliseconds read_timeout_, write_timeout_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool late_ = false;
  char buffer_[4096];
  size_t pos_ = 0, len_ = 0;
};

std::chrono::milliseconds seconds_and_micros(time_t s, time_t us) {
  return std::chrono::seconds(s) +
         std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::microseconds(us));
}

}  // namespace

void ConnectionThreads::enqueue(std::function<void()> connection) {
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return running_ < max_; });
    ++running_;
  }
  auto* job = new Job{std::move(connection), [this] { finished(); }};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kStackBytes);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  int err = pthread_create(&thread, &attr, run, job);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    // No thread to be had: this connection is served on the accepting one.
    run(job);
  }
}

void ConnectionThreads::finished() {
  std::lock_guard lock(mutex_);
  --running_;
  changed_.notify_all();
}

void ConnectionThreads::shutdown() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return running_ == 0; });
}

namespace {
struct ListeningSocket : httplib::Server {
  static socket_t of(httplib::Server& server) { return server.*(&ListeningSocket::svr_sock_); }
};
}  // namespace

void deepen_backlog(httplib::Server& server) {
  socket_t sock = ListeningSocket::of(server);
  if (sock != INVALID_SOCKET) ::listen(sock, SOMAXCONN);
}

GuardedServer::GuardedServer(ConnectionLimits limits) : limits_(limits) {
  new_task_queue = [n = limits.connections] { return new ConnectionThreads(n); };
}

bool GuardedServer::admit(const std::string& address) {
  std::lock_guard lock(mutex_);
  size_t& held = per_address_[address];
  if (held >= limits_.per_address) return false;
  ++held;
  return true;
}

void GuardedServer::release(const std::string& address) {
  std::lock_guard lock(mutex_);
  if (auto it = per_address_.find(address); it != per_address_.end() && --it->second == 0)
    per_address_.erase(it);
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  bool served = false;
  std::string address = peer_address(sock);
  if (!admit(address)) {
    const std::string why = "too many connections from your address: close some first\n";
    const std::string busy =
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 5\r\n"
        "Content-Type: text/plain\r\nContent-Length: " +
        std::to_string(why.size()) + "\r\n\r\n" + why;
    (void)!send(sock, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  } else {
    DeadlineStream stream(sock, seconds_and_micros(read_timeout_sec_, read_timeout_usec_),
                          seconds_and_micros(write_timeout_sec_, write_timeout_usec_));
    auto serving = [this] { return svr_sock_ != INVALID_SOCKET; };
    for (size_t left = keep_alive_max_count_; left > 0; --left) {
      if (!stream.wait_for_request(std::chrono::seconds(keep_alive_timeout_sec_), serving)) break;
      stream.read_by(Clock::now() + limits_.headers);
      bool closed = false;
      served = process_request(stream, left == 1, closed, [&](httplib::Request& req) {
        unsigned long long megabytes =
            std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) >> 20;
        stream.read_by(Clock::now() + limits_.body + std::chrono::seconds(megabytes));
      });
      if (!served || closed || stream.late()) break;
    }
    release(address);
  }
  shutdown(sock, SHUT_RDWR);
  close(sock);
  return served;
}

}  // namespace ce
