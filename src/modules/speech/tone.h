// The lane's one non-verbal sound: a short two-note tone that confirms a
// product code was read (a shopper turning a package knows to stop). A
// tone, not words, so that it never holds up the sentence that follows.
#pragma once

#include "modules/speech/voice.h"

namespace ce {

Pcm read_tone(int sample_rate = 16000);

}  // namespace ce
