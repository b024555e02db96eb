#include "modules/speech/tts.h"

#include <cmath>
#include <cstdio>
#include <mutex>
#include <stdexcept>

extern "C" {
#include <flite/flite.h>
cst_voice* register_cmu_us_kal16(const char* voxdir);
}

namespace ce {

static std::mutex flite_mutex;  // Flite's global tables are set up once

Tts::Tts(const std::string& voice) : voice_(voice) {
  std::lock_guard lock(flite_mutex);
  static bool initialised = [] {
    flite_init();
    return true;
  }();
  (void)initialised;
  if (voice != "kal16")
    throw std::runtime_error("voice '" + voice + "' is not available; this build has: kal16");
  cst_voice_ = register_cmu_us_kal16(nullptr);
  if (!cst_voice_) throw std::runtime_error("Flite could not load voice " + voice);
}

Pcm Tts::synthesize(const std::string& text) {
  cst_wave* w = flite_text_to_wave(text.c_str(), static_cast<cst_voice*>(cst_voice_));
  if (!w) throw std::runtime_error("Flite could not synthesise: " + text);
  Pcm pcm;
  pcm.sample_rate = cst_wave_sample_rate(w);
  pcm.samples.assign(cst_wave_samples(w), cst_wave_samples(w) + cst_wave_num_samples(w));
  delete_wave(w);
  return pcm;
}

bool write_wav(const std::string& path, const Pcm& pcm) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  auto u32 = [&](uint32_t v) { std::fwrite(&v, 4, 1, f); };
  auto u16 = [&](uint16_t v) { std::fwrite(&v, 2, 1, f); };
  uint32_t data = static_cast<uint32_t>(pcm.samples.size() * 2);
  std::fwrite("RIFF", 1, 4, f);
  u32(36 + data);
  std::fwrite("WAVEfmt ", 1, 8, f);
  u32(16);
  u16(1);  // PCM
  u16(1);  // mono
  u32(pcm.sample_rate);
  u32(pcm.sample_rate * 2);
  u16(2);
  u16(16);
  std::fwrite("data", 1, 4, f);
  u32(data);
  std::fwrite(pcm.samples.data(), 2, pcm.samples.size(), f);
  return std::fclose(f) == 0;
}

double rms(const Pcm& pcm) {
  if (pcm.samples.empty()) return 0;
  double sum = 0;
  for (int16_t s : pcm.samples) sum += static_cast<double>(s) * s;
  return std::sqrt(sum / pcm.samples.size());
}

}  // namespace ce
