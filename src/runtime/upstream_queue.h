// The store-and-forward queue: `$upstream` messages on disk, in arrival
// order, until the upstream broker acknowledges them. Survives restarts.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "checkout-edge/module.h"
#include "common/sqlite_db.h"

namespace ce {

struct QueuedMessage {
  long long seq = 0;
  long long enqueued_ms = 0;
  Message message;
};

class UpstreamQueue {
 public:
  explicit UpstreamQueue(const std::string& path);

  // All thread-safe.
  void push(const Message& message);
  std::vector<QueuedMessage> after(long long seq, int limit) const;  // oldest first
  void remove(long long seq);                                        // acknowledged upstream
  long long drop_older_than(long long cutoff_ms);                    // returns how many expired
  long long size() const;
  long long delivered() const;  // counted across restarts
  long long expired() const;

 private:
  long long counter(const char* name) const;
  void add_to_counter(const char* name, long long n);

  mutable std::mutex mutex_;
  SqliteDb db_;
};

}  // namespace ce
