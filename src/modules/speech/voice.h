// Text to PCM, one engine per language: the most intelligible offline engine
// Debian's main archive has (../shared/notes/tts-measurements.md). Flite kal16
// for English; eSpeak NG for German, French, Spanish, Chinese and Korean
// (Pico would be clearer for de/fr/es but is in non-free).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ce {

struct Pcm {
  int sample_rate = 16000;
  std::vector<int16_t> samples;  // mono
  long long duration_ms() const { return sample_rate ? samples.size() * 1000LL / sample_rate : 0; }
};

class VoiceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Voice {
 public:
  virtual ~Voice() = default;
  virtual Pcm synthesize(const std::string& text) = 0;
  // "flite:kal16", "espeak-ng:de": what a cached sound was made with.
  virtual const std::string& name() const = 0;
};

// `spec` is "engine:voice" ("flite:kal16", "espeak-ng:fr"). Throws VoiceError
// saying what is missing and what to install or choose instead.
std::unique_ptr<Voice> open_voice(const std::string& spec);
// The engine and voice this project chose for a locale ("de-DE" -> "espeak-ng:de").
std::string default_voice_for(const std::string& locale);

}  // namespace ce
