#include "modules/speech/utterance.h"

namespace ce {

std::vector<std::string> sentence_parts(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(", ", start), wide = text.find("，", start);
    size_t end = std::min(comma, wide);
    std::string part =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!part.empty()) parts.push_back(part);
    if (end == std::string::npos) break;
    start = end + (end == comma ? 2 : std::string("，").size());
  }
  return parts;
}

Utterance make_utterance(AudioCache& cache, Voice& voice, const std::string& text) {
  Utterance u;
  for (const std::string& part : sentence_parts(text)) {
    bool found = false;
    auto sound = cache.sound(voice, part, &found);
    ++u.parts;
    u.parts_ready += found;
    if (!u.pcm.samples.empty()) {
      u.pcm.samples.insert(u.pcm.samples.end(), sound->sample_rate * 120 / 1000, 0);  // the comma
    }
    u.pcm.sample_rate = sound->sample_rate;
    u.pcm.samples.insert(u.pcm.samples.end(), sound->samples.begin(), sound->samples.end());
  }
  return u;
}

}  // namespace ce
