#include "modules/speech/wav.h"

#include <cmath>
#include <cstdio>

namespace ce {

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
