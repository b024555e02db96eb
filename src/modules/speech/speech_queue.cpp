#include "modules/speech/speech_queue.h"

#include <algorithm>

namespace ce {

void SpeechQueue::push(SpeechRequest request) {
  std::lock_guard lock(mutex_);
  if (request.play && playing_priority_ && request.priority >= *playing_priority_)
    interrupt_ = true;
  // Stable: among equals the older goes first.
  auto at = std::find_if(waiting_.begin(), waiting_.end(),
                         [&](const SpeechRequest& r) { return r.priority < request.priority; });
  waiting_.insert(at, std::move(request));
  cv_.notify_one();
}

std::optional<SpeechRequest> SpeechQueue::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!cv_.wait_for(lock, timeout, [&] { return !waiting_.empty(); })) return std::nullopt;
  SpeechRequest r = std::move(waiting_.front());
  waiting_.pop_front();
  if (r.play) {
    playing_priority_ = r.priority;
    interrupt_ = false;
  }
  return r;
}

void SpeechQueue::done_playing() {
  std::lock_guard lock(mutex_);
  playing_priority_.reset();
  interrupt_ = false;
}

}  // namespace ce
