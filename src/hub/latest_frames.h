// Frames waiting to be classified, latest wins: a camera faster than the
// model must not build a queue (in the broker or here) that the lane then
// works through long after the item has gone. The few newest frames are
// kept (a still scene sends a handful); older ones are dropped and counted.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

#include "checkout-edge/module.h"

namespace ce {

class LatestFrames {
 public:
  explicit LatestFrames(size_t keep) : keep_(keep) {}

  // Never blocks: the hub's network thread hands frames over as they come.
  void push(Message frame) {
    std::lock_guard lock(mutex_);
    frames_.push_back(std::move(frame));
    while (frames_.size() > keep_) {
      frames_.pop_front();
      ++dropped_;
    }
    cv_.notify_one();
  }
  std::optional<Message> next(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return !frames_.empty(); })) return std::nullopt;
    Message m = std::move(frames_.front());
    frames_.pop_front();
    return m;
  }
  // A frame taken from here but too old to show what is on the scale now.
  void count_stale() {
    std::lock_guard lock(mutex_);
    ++dropped_;
  }
  long long dropped() {
    std::lock_guard lock(mutex_);
    return dropped_;
  }

 private:
  size_t keep_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Message> frames_;
  long long dropped_ = 0;
};

}  // namespace ce
