// A sentence is said as its parts ("Banana" / "0.42 kilograms" / "1 dollar
// 26."), each made once and cached: product names and fixed parts are ready
// before the first scan, and only the numbers are ever new.
#pragma once

#include <string>
#include <vector>

#include "modules/speech/audio_cache.h"

namespace ce {

// Splits at the commas a speaker pauses on (", " and the Chinese "，").
std::vector<std::string> sentence_parts(const std::string& text);

struct Utterance {
  Pcm pcm;
  int parts = 0, parts_ready = 0;  // how many parts the cache already had
};

// The parts' sounds, cut to what is audible, joined with the pause a comma takes.
Utterance make_utterance(AudioCache& cache, Voice& voice, const std::string& text);

}  // namespace ce
