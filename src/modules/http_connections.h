// How the screens and the REST API serve their connections, so that slow or
// many clients cost little and never the kiosk's answer.
//
// httplib's ThreadPool keeps one of N threads for as long as a connection
// lasts, and a connection that sends a header line every 2 s lasts for
// ever: forty such held all 24 of the screens' threads and all 32 of the
// REST API's. Here each connection gets a thread of its own (with a small
// stack), up to `connections` at once; one address holds at most
// `per_address` of them (more are answered 503 at once); and a request must
// bring its headers, then its body, within a deadline, however it drips.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace ce {

class ConnectionThreads : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(size_t max_connections) : max_(max_connections) {}
  ~ConnectionThreads() override { shutdown(); }

  void enqueue(std::function<void()> connection) override;
  // Waits for every connection's thread: they use the server.
  void shutdown() override;

 private:
  void finished();

  size_t max_, running_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
};

struct ConnectionLimits {
  size_t connections = 256;
  size_t per_address = 64;
  // A request's line and headers, from its first byte.
  std::chrono::milliseconds headers{std::chrono::seconds(10)};
  // Its body, after the headers: this, and a second more per MB it says it
  // carries (a slow link still sends a photo; a drip of bytes is cut).
  std::chrono::milliseconds body{std::chrono::seconds(10)};
};

// An httplib::Server (plain HTTP) that keeps ConnectionLimits.
class GuardedServer : public httplib::Server {
 public:
  explicit GuardedServer(ConnectionLimits limits = {});

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool admit(const std::string& address);
  void release(const std::string& address);

  ConnectionLimits limits_;
  std::mutex mutex_;
  std::map<std::string, size_t> per_address_;  // only addresses connected now
};

// httplib listens with a backlog of 5: in a burst of connections (a flood,
// or a page's files at once) the rest wait out SYN retries of a second and
// more, and some never reach accept. Call after bind_to_port.
void deepen_backlog(httplib::Server& server);

}  // namespace ce
