// Plays PCM on an ALSA device ("default", "hw:1,0", "plughw:CARD=Headset").
#pragma once

#include <string>

#include "modules/speech/tts.h"

struct _snd_pcm;

namespace ce {

class AudioOut {
 public:
  explicit AudioOut(std::string device);
  ~AudioOut();
  // Opens the device on first use; returns false and sets `error` when it cannot.
  bool play(const Pcm& pcm, std::string* error);

 private:
  bool open(int sample_rate, std::string* error);
  std::string device_;
  _snd_pcm* handle_ = nullptr;
  int rate_ = 0;
};

}  // namespace ce
