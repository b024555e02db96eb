#include "modules/speech/tone.h"

#include <algorithm>
#include <cmath>

namespace ce {

Pcm read_tone(int sample_rate) {
  // Two notes rising (a "yes"), 70 ms each, with 8 ms fades so that no click
  // is heard; at about a third of full scale, below speech's loudness.
  Pcm pcm{sample_rate, {}};
  const double notes[] = {1046.5, 1568.0};  // C6, G6
  const int note_samples = sample_rate * 70 / 1000, fade = sample_rate * 8 / 1000;
  for (double hz : notes)
    for (int i = 0; i < note_samples; ++i) {
      double envelope = std::min(
          {1.0, static_cast<double>(i) / fade, static_cast<double>(note_samples - 1 - i) / fade});
      double v = 0.33 * envelope * std::sin(2 * M_PI * hz * i / sample_rate);
      pcm.samples.push_back(static_cast<int16_t>(std::lround(v * 32767)));
    }
  return pcm;
}

}  // namespace ce
