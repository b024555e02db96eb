#include "modules/http_connections.h"

#include <pthread.h>

#include <iostream>
#include <memory>

namespace ce {

namespace {

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

}  // namespace ce
