#include "modules/speech/sentence_message.h"

#include "common/settings.h"

namespace ce {

SpeechRequest read_sentence(const nlohmann::json& j, const std::string& lane_locale) {
  SpeechRequest r;
  if (j.is_object() && j.contains("tone")) {
    if (j["tone"] != "read") throw std::runtime_error("\"tone\" is \"read\" (a code was read)");
    r.tone = "read";
  }
  auto text = j.is_object() ? j.find("text") : j.end();
  bool no_text = text == j.end() || !text->is_string() || text->get<std::string>().empty();
  if ((no_text && r.tone.empty()) || (!no_text && text->get<std::string>().size() > 2000))
    throw std::runtime_error("a sentence is {\"text\": \"...\"} of 1 to 2000 bytes");
  r.text = no_text ? "" : text->get<std::string>();
  r.kind = setting<std::string>(j, "kind", "");
  r.locale = setting<std::string>(j, "locale", lane_locale);
  r.priority = setting_in<int>(j, "priority", 1, 0, 9);
  r.origin_ms = setting<long long>(j, "originMs", 0);
  r.id = setting<std::string>(j, "sentenceId", "");
  r.whole = setting<bool>(j, "whole", false);
  r.first = setting<bool>(j, "first", false);
  if (auto after = j.find("after"); after != j.end()) {
    if (!after->is_object())
      throw std::runtime_error("\"after\" is {\"sentenceId\": \"...\", \"text\": \"...\"}");
    r.after_id = setting<std::string>(*after, "sentenceId", "");
    r.after_text = setting<std::string>(*after, "text", "");
    if (r.after_text.size() > 2000) throw std::runtime_error("\"after\".text is over 2000 bytes");
  }
  return r;
}

}  // namespace ce
