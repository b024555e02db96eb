// What the screens show: the lane as the web module hears it on the hub
// (the checkout's basket, sentences and receipts, speech's reports, the
// photo the classifier decided on, the scale, the runtime's module status),
// kept as one JSON snapshot plus a numbered stream of changes that pages
// receive pushed. A page that reconnects gets the snapshot again, so it
// never loses its place.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "checkout-edge/module.h"

namespace ce {

struct LaneEvent {
  long long seq = 0;
  std::string
      type;  // "basket", "sentence", "spoken", "photo", "weight", "receipt", "lane", "locale"
  nlohmann::json data;
};

class LaneView {
 public:
  // Each takes a message body from the hub; a malformed one throws
  // std::runtime_error saying what is wrong, and changes nothing.
  void on_basket(const Message& m);
  void on_sentence(const Message& m);
  void on_spoken(const Message& m);
  void on_receipt(const Message& m);
  void on_vocabulary(const Message& m);
  void on_weight(const Message& m);
  void on_module_status(const Message& m);
  // Frames are kept briefly, so that a prediction can show the one it saw.
  void on_frame(const Message& m);
  void on_predictions(const Message& m);

  // For the kiosk: no module internals, and the last receipt only for the
  // two minutes after it was printed (the shopper who paid, not whoever
  // opens the page later); for staff: everything.
  nlohmann::json kiosk_snapshot(long long now = now_ms()) const;
  // Whether the kiosk's live region says what the lane says (web's
  // kioskAnnounces).
  void set_kiosk_announces(bool announce);
  nlohmann::json staff_snapshot() const;
  // The JPEG the last prediction was made on, and its number.
  std::optional<std::pair<long long, std::string>> photo() const;
  std::optional<std::string> live_frame() const;
  long long live_frame_ms() const;  // when the live frame came; 0: none yet

  long long last_seq() const;
  // Changes after `seq`, waiting up to `timeout` for one; empty when none.
  // `lost` is set when the page is so far behind that older changes are
  // gone: it should take a new snapshot.
  std::deque<LaneEvent> events_after(long long seq, std::chrono::milliseconds timeout,
                                     bool* lost) const;
  // Wakes every waiting stream (the module stops).
  void close();
  bool closed() const;

 private:
  void publish(const std::string& type, nlohmann::json data);  // mutex_ held

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  bool closed_ = false;
  long long seq_ = 0;
  std::deque<LaneEvent> events_;  // the last few hundred
  std::string locale_ = "en-US";
  nlohmann::json notices_ = nlohmann::json::object();
  nlohmann::json basket_;
  bool kiosk_announces_ = true;
  std::deque<nlohmann::json> sentences_;
  std::deque<nlohmann::json> latencies_;  // speech's: stable weight to first sound
  std::deque<nlohmann::json> lags_;       // the camera's frame to its prediction
  nlohmann::json receipt_;
  long long receipt_at_ms_ = 0;
  nlohmann::json weight_;
  nlohmann::json modules_ = nlohmann::json::object();
  nlohmann::json prediction_;
  std::deque<std::pair<std::string, std::string>> frames_;  // messageId -> JPEG
  std::string live_frame_;
  long long live_frame_ms_ = 0;
  long long photo_version_ = 0;
  std::string photo_;
};

}  // namespace ce
