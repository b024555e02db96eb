// How the screens and the REST API give their connections threads.
// httplib's ThreadPool keeps one of N threads for as long as a connection
// lasts, and a connection that sends a header line every 2 s lasts for
// ever: forty such held all 24 of the screens' threads and all 32 of the
// REST API's. Here each connection gets a thread of its own (with a small
// stack), up to `max_connections` at once; only past that does a new one
// wait in the kernel's backlog. Slow clients then cost a little memory each,
// never the kiosk's answer.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>

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

}  // namespace ce
