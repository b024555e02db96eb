// WAV files of what was said, for staff checking a lane without a speaker
// and for the intelligibility test.
#pragma once

#include <string>

#include "modules/speech/voice.h"

namespace ce {

bool write_wav(const std::string& path, const Pcm& pcm);  // 16-bit mono RIFF
double rms(const Pcm& pcm);                               // 0 for silence

}  // namespace ce
