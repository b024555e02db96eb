#include "modules/web/lane_view.h"

#include <algorithm>
#include <stdexcept>
#include <type_traits>

namespace ce {

namespace {

constexpr size_t kEventsKept = 500;
constexpr size_t kSentencesKept = 30;
constexpr size_t kFramesKept = 16;
constexpr size_t kLatenciesKept = 200;  // a prediction names a frame sent a moment before

nlohmann::json object_body(const Message& m) {
  nlohmann::json j = m.json();
  if (!j.is_object()) throw std::runtime_error("it is not a JSON object");
  return j;
}

// j[key] as a T, or `fallback` when absent; of another type, an error.
template <typename T>
T field(const nlohmann::json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  bool ok;
  if constexpr (std::is_same_v<T, bool>)
    ok = it->is_boolean();
  else if constexpr (std::is_same_v<T, std::string>)
    ok = it->is_string();
  else
    ok = it->is_number_integer();
  if (!ok) throw std::runtime_error(std::string("\"") + key + "\" has the wrong type");
  return it->get<T>();
}

const std::string& string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string())
    throw std::runtime_error(std::string("it has no \"") + key + "\" string");
  return it->get_ref<const std::string&>();
}

}  // namespace

void LaneView::publish(const std::string& type, nlohmann::json data) {
  events_.push_back({++seq_, type, std::move(data)});
  if (events_.size() > kEventsKept) events_.pop_front();
  changed_.notify_all();
}

void LaneView::on_basket(const Message& m) {
  nlohmann::json j = object_body(m);
  if (!j.contains("lines") || !j["lines"].is_array())
    throw std::runtime_error("a basket has a \"lines\" array");
  std::lock_guard lock(mutex_);
  if (j == basket_) return;  // published after every message the checkout handles
  basket_ = j;
  // When the checkout published it: the page measures how long it took to show.
  j["publishedMs"] = m.timestamp_ms();
  publish("basket", j);
}

void LaneView::on_sentence(const Message& m) {
  nlohmann::json j = object_body(m);
  // A tone confirms a code read: heard, not shown (the line shows the code).
  if (field<std::string>(j, "kind", "") == "tone") return;
  nlohmann::json s{{"text", string_field(j, "text")},
                   {"kind", field<std::string>(j, "kind", "info")},
                   {"sentenceId", field<std::string>(j, "sentenceId", m.id())},
                   {"priority", field<long long>(j, "priority", 1)},
                   {"atMs", m.timestamp_ms()},
                   {"spoken", false}};
  std::lock_guard lock(mutex_);
  if (auto locale = field<std::string>(j, "locale", ""); !locale.empty()) locale_ = locale;
  // A sentence sent again (speech restarted, or its report was lost) keeps
  // its place: the kiosk's newest stays the newest thing said.
  auto shown = std::find_if(sentences_.begin(), sentences_.end(), [&](const nlohmann::json& x) {
    return x["sentenceId"] == s["sentenceId"];
  });
  if (shown != sentences_.end()) {
    if ((*shown)["text"] == s["text"]) return;
    s["atMs"] = (*shown)["atMs"];
    *shown = s;
  } else {
    sentences_.push_back(s);
    if (sentences_.size() > kSentencesKept) sentences_.pop_front();
  }
  publish("sentence", s);
}

void LaneView::on_spoken(const Message& m) {
  nlohmann::json j = object_body(m);
  if (!j.contains("text")) return;  // {"event": "started"}
  std::string id = field<std::string>(j, "sentenceId", "");
  bool complete = field<bool>(j, "complete", false);
  std::string kind = field<std::string>(j, "kind", "");
  std::lock_guard lock(mutex_);
  if (auto l = j.find("latencyMs"); l != j.end() && l->is_number()) {
    nlohmann::json point{{"atMs", m.timestamp_ms()}, {"latencyMs", *l}, {"kind", kind}};
    latencies_.push_back(point);
    if (latencies_.size() > kLatenciesKept) latencies_.pop_front();
    publish("latency", point);
  }
  for (auto& s : sentences_)
    if (s["sentenceId"] == id) {
      if (complete) s["spoken"] = true;
      publish("spoken", {{"sentenceId", id}, {"complete", complete}});
      return;
    }
  // Said by speech itself (the checkout is down): shown as it is said.
  if (kind != "notice") return;
  nlohmann::json s{
      {"text", string_field(j, "text")}, {"kind", "notice"},  {"sentenceId", id}, {"priority", 2},
      {"atMs", m.timestamp_ms()},        {"spoken", complete}};
  sentences_.push_back(s);
  if (sentences_.size() > kSentencesKept) sentences_.pop_front();
  publish("sentence", s);
}

void LaneView::on_receipt(const Message& m) {
  nlohmann::json j = object_body(m);
  std::lock_guard lock(mutex_);
  receipt_ = j;
  receipt_at_ms_ = now_ms();
  publish("receipt", receipt_);
}

void LaneView::on_vocabulary(const Message& m) {
  nlohmann::json j = object_body(m);
  std::lock_guard lock(mutex_);
  if (j.contains("locale") && j["locale"].is_string()) locale_ = j["locale"];
  if (j.contains("notices") && j["notices"].is_object()) notices_ = j["notices"];
  publish("locale", {{"locale", locale_}, {"notices", notices_}});
}

void LaneView::on_weight(const Message& m) {
  nlohmann::json j = object_body(m);
  auto g = j.find("grams");
  if (g == j.end() || !g->is_number_integer()) throw std::runtime_error("it has no whole grams");
  nlohmann::json w{{"grams", *g},
                   {"stable", field<bool>(j, "stable", false)},
                   {"status", field<std::string>(j, "status", "ok")}};
  std::lock_guard lock(mutex_);
  if (w == weight_) return;  // ten a second, mostly the same
  weight_ = w;
  publish("weight", weight_);
}

void LaneView::on_module_status(const Message& m) {
  nlohmann::json j = object_body(m);
  if (!j.contains("modules") || !j["modules"].is_object())
    throw std::runtime_error("a module status has a \"modules\" object");
  // The pages read these fields as they are: each must be what it says.
  for (auto& [name, module] : j["modules"].items()) {
    bool ok = module.is_object();
    for (const char* key : {"status", "health"})
      ok = ok && (!module.contains(key) || module[key].is_string());
    ok = ok && (!module.contains("restarts") || module["restarts"].is_number_integer());
    if (!ok)
      throw std::runtime_error("module '" + name.substr(0, 40) +
                               "' is not {\"status\": text, \"health\": text, \"restarts\": n}");
  }
  std::lock_guard lock(mutex_);
  if (j["modules"] == modules_) return;
  modules_ = j["modules"];
  publish("lane", {{"modules", modules_}});
}

void LaneView::on_frame(const Message& m) {
  std::lock_guard lock(mutex_);
  live_frame_ = m.body;
  live_frame_ms_ = now_ms();
  frames_.emplace_back(m.id(), m.body);
  if (frames_.size() > kFramesKept) frames_.pop_front();
}

void LaneView::on_predictions(const Message& m) {
  nlohmann::json j = object_body(m);
  auto p = j.find("predictions");
  if (p == j.end() || !p->is_array()) throw std::runtime_error("it has no \"predictions\" array");
  nlohmann::json top = nlohmann::json::array();
  for (const auto& x : *p) {
    if (top.size() == 5) break;
    if (!x.is_object() || !x.contains("tagName") || !x.contains("probability")) continue;
    top.push_back({{"tagName", x["tagName"]}, {"probability", x["probability"]}});
  }
  std::string frame_id = m.property("frameId");
  long long frames = field<long long>(j, "frames", 1);
  long long captured = std::atoll(m.property("captureTime").c_str());
  std::lock_guard lock(mutex_);
  if (captured > 0) {
    lags_.push_back({{"atMs", m.timestamp_ms()}, {"lagMs", m.timestamp_ms() - captured}});
    if (lags_.size() > kLatenciesKept) lags_.pop_front();
  }
  auto f = std::find_if(frames_.begin(), frames_.end(),
                        [&](const auto& x) { return x.first == frame_id; });
  if (f != frames_.end()) {
    photo_ = f->second;
    ++photo_version_;
  }
  prediction_ = {
      {"predictions", top},
      {"sceneId", m.property("sceneId")},
      {"frames", frames},
      {"atMs", m.timestamp_ms()},
      {"photo", photo_version_},
      {"lagMs", captured > 0 ? nlohmann::json(m.timestamp_ms() - captured) : nlohmann::json()}};
  publish("photo", prediction_);
}

nlohmann::json LaneView::kiosk_snapshot(long long now) const {
  constexpr long long kReceiptShownMs = 120000;
  std::lock_guard lock(mutex_);
  nlohmann::json receipt = now - receipt_at_ms_ < kReceiptShownMs ? receipt_ : nlohmann::json();
  bool checkout_up = true;
  if (auto c = modules_.find("checkout"); c != modules_.end())
    checkout_up = c->value("status", "") == "running" && c->value("health", "") != "unhealthy";
  return {{"seq", seq_},
          {"locale", locale_},
          {"notices", notices_},
          {"basket", basket_},
          {"sentences", sentences_},
          {"receipt", receipt},
          {"weight", weight_},
          {"photo", prediction_},
          {"checkoutUp", checkout_up},
          {"announce", kiosk_announces_}};
}

void LaneView::set_kiosk_announces(bool announce) {
  std::lock_guard lock(mutex_);
  kiosk_announces_ = announce;
}

nlohmann::json LaneView::staff_snapshot() const {
  nlohmann::json s = kiosk_snapshot();
  std::lock_guard lock(mutex_);
  s["modules"] = modules_;
  s["receipt"] = receipt_;
  s["latencies"] = latencies_;
  s["predictionLags"] = lags_;
  return s;
}

std::optional<std::pair<long long, std::string>> LaneView::photo() const {
  std::lock_guard lock(mutex_);
  if (photo_.empty()) return std::nullopt;
  return std::make_pair(photo_version_, photo_);
}

std::optional<std::string> LaneView::live_frame() const {
  std::lock_guard lock(mutex_);
  if (live_frame_.empty()) return std::nullopt;
  return live_frame_;
}

long long LaneView::live_frame_ms() const {
  std::lock_guard lock(mutex_);
  return live_frame_ms_;
}

long long LaneView::last_seq() const {
  std::lock_guard lock(mutex_);
  return seq_;
}

std::deque<LaneEvent> LaneView::events_after(long long seq, std::chrono::milliseconds timeout,
                                             bool* lost) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return closed_ || seq_ > seq; });
  *lost = !events_.empty() && events_.front().seq > seq + 1;
  std::deque<LaneEvent> out;
  for (const auto& e : events_)
    if (e.seq > seq) out.push_back(e);
  return out;
}

void LaneView::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  changed_.notify_all();
}

bool LaneView::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

}  // namespace ce
