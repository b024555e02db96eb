// Plays PCM on an ALSA device ("default", "hw:1,0", "plughw:CARD=Headset"),
// or on "clock": no sound card, samples taken at the rate a card would take
// them (for machines without one, and to measure barge-in and latency there).
#pragma once

#include <atomic>
#include <string>

#include "modules/speech/voice.h"

struct _snd_pcm;

namespace ce {

struct Playback {
  bool ok = true;
  std::string error;             // why nothing (more) could be played
  long long first_audio_ms = 0;  // wall clock when the first samples went to the device
  size_t samples_played = 0;
  bool interrupted = false;
};

class AudioOut {
 public:
  explicit AudioOut(std::string device);
  ~AudioOut();
  AudioOut(const AudioOut&) = delete;
  AudioOut& operator=(const AudioOut&) = delete;

  // Plays `pcm` at `volume` (0..1); stops within a chunk (20 ms) once
  // `interrupt` turns true, and drops what the device still holds.
  Playback play(const Pcm& pcm, const std::atomic<bool>& interrupt, double volume = 1.0);
  const std::string& device() const { return device_; }

 private:
  bool open(int sample_rate, std::string* error);
  bool write(const int16_t* samples, size_t n, int sample_rate, std::string* error);
  std::string device_;
  _snd_pcm* handle_ = nullptr;
  int rate_ = 0;
};

}  // namespace ce
