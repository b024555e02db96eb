#include "modules/speech/lane_notices.h"

#include <iostream>

#include "common/files.h"

namespace ce {

// Up this long after being down is back (ms).
constexpr long long kUpFor = 1500;

LaneNotices::LaneNotices(std::chrono::milliseconds down_after, std::chrono::milliseconds repeat,
                         std::filesystem::path kept)
    : down_after_(down_after), repeat_(repeat), kept_(std::move(kept)) {
  if (kept_.empty() || !std::filesystem::exists(kept_)) return;
  try {
    auto j = nlohmann::json::parse(read_file(kept_));
    texts_ = {j.at("module"), j.at("down"), j.at("back"), j.value("locale", "")};
  } catch (const std::exception& e) {
    std::cerr << "speech: ignored " << kept_ << " (" << e.what()
              << "); the checkout sends its notices again when it starts\n";
  }
}

void LaneNotices::set_texts(const LaneNoticeTexts& texts) {
  std::lock_guard lock(mutex_);
  if (texts.module.empty() || texts.down.empty() || texts.back.empty()) return;
  bool changed = texts.module != texts_.module || texts.down != texts_.down ||
                 texts.back != texts_.back || texts.locale != texts_.locale;
  texts_ = texts;
  if (!changed || kept_.empty()) return;
  try {
    write_file_atomically(kept_, nlohmann::json{{"module", texts.module},
                                                {"down", texts.down},
                                                {"back", texts.back},
                                                {"locale", texts.locale}}
                                     .dump());
  } catch (const std::exception& e) {
    std::cerr << "speech: " << e.what() << "\n";
  }
}

LaneNoticeTexts LaneNotices::texts() const {
  std::lock_guard lock(mutex_);
  return texts_;
}

void LaneNotices::on_status(const nlohmann::json& status, long long now) {
  std::lock_guard lock(mutex_);
  const auto modules = status.find("modules");
  if (!status.is_object() || modules == status.end() || !modules->is_object()) return;
  auto m = modules->find(texts_.module);
  if (m == modules->end() || !m->is_object()) {  // not deployed: nobody waits for it
    down_since_ = up_since_ = last_said_ = 0;
    return;
  }
  // A field of the wrong type is as good as absent: the module is not up.
  auto text = [&](const char* key) {
    auto it = m->find(key);
    return it != m->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  bool up = text("status") == "running" && text("health") == "healthy";
  if (!up) {
    if (!down_since_) down_since_ = now;
    up_since_ = 0;
  } else if (down_since_ && !up_since_) {
    up_since_ = now;
  }
}

void LaneNotices::on_weight(const nlohmann::json& weight) {
  std::lock_guard lock(mutex_);
  auto count = weight.is_object() ? weight.find("placement") : weight.end();
  if (count == weight.end() || !count->is_number_integer()) return;
  long long n = count->get<long long>();
  // A count that went back is a scale that started again: its first item is new.
  if (placements_ >= 0 && n != placements_ && down_since_) placed_ = true;
  placements_ = n;
}

std::optional<std::string> LaneNotices::due(long long now) {
  std::lock_guard lock(mutex_);
  if (!down_since_) {
    placed_ = false;
    return std::nullopt;
  }
  if (up_since_) {
    if (now - up_since_ < kUpFor) return std::nullopt;
    bool told = last_said_ != 0;
    down_since_ = up_since_ = last_said_ = 0;
    placed_ = false;  // the checkout decides the item now, or says it was not added
    if (told) return texts_.back;
    return std::nullopt;
  }
  if (now - down_since_ < down_after_.count()) return std::nullopt;
  if (!placed_ && last_said_ && now - last_said_ < repeat_.count()) return std::nullopt;
  placed_ = false;
  last_said_ = now;
  return texts_.down;
}

}  // namespace ce
