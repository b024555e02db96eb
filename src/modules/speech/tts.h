// Text to PCM with Flite (CMU kal16 voice): the most intelligible offline
// English engine measured here (docs: ../shared/notes/tts-measurements.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ce {

struct Pcm {
  int sample_rate = 16000;
  std::vector<int16_t> samples;  // mono
};

class Tts {
 public:
  explicit Tts(const std::string& voice = "kal16");
  Pcm synthesize(const std::string& text);
  const std::string& voice() const { return voice_; }

 private:
  std::string voice_;
  void* cst_voice_ = nullptr;
};

bool write_wav(const std::string& path, const Pcm& pcm);
double rms(const Pcm& pcm);  // 0 for silence

}  // namespace ce
