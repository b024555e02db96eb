// What is waiting to be said, most urgent first. Barge-in: a sentence as
// urgent as the one being played (the next item, an answer) stops it, so the
// shopper hears about what is on the scale now, unless the one playing is
// "whole" (it carries a price): that one only something more urgent (a
// scale alarm) may cut, and it is then said again from the start. A waiting
// sentence that is not whole gives way to a newer one as urgent. A blind
// shopper hears every price to its end, and a name said ahead of its price
// is not cut by that price.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace ce {

struct SpeechRequest {
  std::string text, kind, locale;
  int priority = 1;         // higher first; alarms 2, lines and answers 1, presynthesis -1
  long long origin_ms = 0;  // when what it answers happened (the stable weight), for latency
  bool play = true;         // false: only make and cache the sound
  std::string id;           // the checkout's sentenceId; the same one queued twice is said once
  bool whole = false;       // may not be cut by a sentence as urgent
  std::string tone;         // "read": a short tone instead of words (a product code was read)
  // Goes before the waiting sentences as urgent, cutting none: "the last
  // item was not added" is about the item just lifted, and a shopper told
  // only after the prices queued ahead of it has walked on.
  bool first = false;
  // Follows the sentence `after_id` (the item's name said ahead of its
  // price): does not cut it, and says `after_text` instead of `text` if
  // that sentence was heard to its end.
  std::string after_id, after_text;
};

class SpeechQueue {
 public:
  // Returns false (and drops it) when a request with the same id is
  // waiting or playing already.
  bool push(SpeechRequest request);
  // A whole request that was cut: said again before the others as urgent.
  void push_again(SpeechRequest request);
  // Waits up to `timeout` for the most urgent request, oldest first among
  // equals. A request to play counts as playing from here until
  // `done_playing()`; `interrupt()` is the flag the player watches.
  std::optional<SpeechRequest> next(std::chrono::milliseconds timeout);
  void done_playing();
  const std::atomic<bool>& interrupt() const { return interrupt_; }
  void wake_all() { cv_.notify_all(); }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<SpeechRequest> waiting_;
  std::optional<int> playing_priority_;
  bool playing_whole_ = false;
  std::string playing_id_;
  std::atomic<bool> interrupt_{false};
};

}  // namespace ce
