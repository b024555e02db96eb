#include "modules/speech/utterance.h"

#include <cstdlib>

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

namespace {

// Flite starts each sound with a quarter second of silence: cut it, so the
// first thing handed to the device is speech, and the commas are even.
std::pair<size_t, size_t> audible(const Pcm& pcm) {
  const int16_t quiet = 200;
  const size_t margin = static_cast<size_t>(pcm.sample_rate / 100);  // 10 ms
  size_t a = 0, b = pcm.samples.size();
  while (a < b && std::abs(pcm.samples[a]) < quiet) ++a;
  while (b > a && std::abs(pcm.samples[b - 1]) < quiet) --b;
  if (a == b) return {0, pcm.samples.size()};  // all quiet: keep as made
  return {a > margin ? a - margin : 0, std::min(pcm.samples.size(), b + margin)};
}

}  // namespace

Utterance make_utterance(AudioCache& cache, Voice& voice, const std::string& text) {
  Utterance u;
  for (const std::string& part : sentence_parts(text)) {
    bool found = false;
    // Prepared parts come from disk; the numbers stay in memory only.
    auto sound = cache.sound(voice, part, &found, false);
    ++u.parts;
    u.parts_ready += found;
    if (!u.pcm.samples.empty())
      u.pcm.samples.insert(u.pcm.samples.end(), sound->sample_rate * 200 / 1000, 0);  // the comma
    u.pcm.sample_rate = sound->sample_rate;
    auto [from, to] = audible(*sound);
    u.pcm.samples.insert(u.pcm.samples.end(), sound->samples.begin() + from,
                         sound->samples.begin() + to);
  }
  return u;
}

}  // namespace ce
