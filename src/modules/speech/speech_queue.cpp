#include "modules/speech/speech_queue.h"

#include <algorithm>

namespace ce {

bool SpeechQueue::push(SpeechRequest request) {
  std::lock_guard lock(mutex_);
  if (!request.id.empty() &&
      (request.id == playing_id_ ||
       std::any_of(waiting_.begin(), waiting_.end(),
                   [&](const SpeechRequest& r) { return r.id == request.id; })))
    return false;
  bool follows_playing = !request.after_id.empty() && request.after_id == playing_id_;
  if (request.play && playing_priority_ && !follows_playing &&
      (request.priority > *playing_priority_ ||
       (request.priority == *playing_priority_ && !playing_whole_)))
    interrupt_ = true;
  // What it would have cut had it been playing is stale while it waits too.
  if (request.play)
    std::erase_if(waiting_, [&](const SpeechRequest& r) {
      return r.play && !r.whole && r.priority <= request.priority;
    });
  // Stable: among equals the older goes first.
  auto at = std::find_if(waiting_.begin(), waiting_.end(), [&](const SpeechRequest& r) {
    return r.priority < request.priority ||
           (request.first && r.priority == request.priority && !r.first);
  });
  waiting_.insert(at, std::move(request));
  cv_.notify_one();
  return true;
}

void SpeechQueue::push_again(SpeechRequest request) {
  std::lock_guard lock(mutex_);
  auto at = std::find_if(waiting_.begin(), waiting_.end(),
                         [&](const SpeechRequest& r) { return r.priority <= request.priority; });
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
    playing_whole_ = r.whole;
    playing_id_ = r.id;
    interrupt_ = false;
  }
  return r;
}

void SpeechQueue::done_playing() {
  std::lock_guard lock(mutex_);
  playing_priority_.reset();
  playing_whole_ = false;
  playing_id_.clear();
  interrupt_ = false;
}

}  // namespace ce
