// What speech says on its own about the lane: while the module that talks
// to the shopper (the checkout) is down, a shopper who cannot see the
// screen is told to wait, and told again when it is back. The checkout
// sends the sentences in its locale ahead of time (with its vocabulary);
// the runtime's moduleStatus says who is running.
#pragma once

#include <chrono>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ce {

struct LaneNoticeTexts {
  std::string module = "checkout";
  std::string down =
      "Please wait, the checkout is starting again. Leave your items where they are.";
  std::string back = "The checkout is ready.";
  std::string locale;  // empty: the lane's
};

class LaneNotices {
 public:
  // `down_after`: how long the module may be away before the shopper hears
  // it (a restart at once is not worth a word); `repeat`: how often after.
  LaneNotices(std::chrono::milliseconds down_after, std::chrono::milliseconds repeat,
              std::filesystem::path kept = {});

  // From the checkout's vocabulary message; kept in `kept` for a start
  // without a checkout.
  void set_texts(const LaneNoticeTexts& texts);
  LaneNoticeTexts texts() const;
  // The runtime's {"modules": {"checkout": {"status": "running", "health":
  // "healthy"}, ...}}. Up is running and heartbeating: a module in a crash
  // loop is "running" for a moment at each try.
  void on_status(const nlohmann::json& status, long long now_ms);
  // The scale's weight message: an item placed while the module is down is
  // told to wait at once, whenever the notice was last said.
  void on_weight(const nlohmann::json& weight);
  // What to say now: the notice, if the module has been down long enough,
  // or that it is back, once it has been up a while after a notice.
  std::optional<std::string> due(long long now_ms);

 private:
  mutable std::mutex mutex_;
  std::chrono::milliseconds down_after_, repeat_;
  std::filesystem::path kept_;
  LaneNoticeTexts texts_;
  long long down_since_ = 0;   // 0: up, or not known
  long long up_since_ = 0;     // back up after being down; 0: not (yet)
  long long last_said_ = 0;    // 0: nothing said since it went down
  long long placements_ = -1;  // the scale's count, as last seen
  bool placed_ = false;        // an item was placed and not yet told
};

}  // namespace ce
