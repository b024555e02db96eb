#include <mutex>

#include "modules/speech/voice.h"

extern "C" {
#include <flite/flite.h>
cst_voice* register_cmu_us_kal16(const char* voxdir);
}

namespace ce {

namespace {

// Flite's voice is shared: two threads synthesising with it gave identical output.
cst_voice* kal16() {
  static std::once_flag once;
  static cst_voice* voice = nullptr;
  std::call_once(once, [] {
    flite_init();
    voice = register_cmu_us_kal16(nullptr);
    // A shade slower than Flite's default: pocketsphinx's word error rate on
    // the checkout's sentences fell from 0.19 to 0.13 (docs/benchmarks.md).
    if (voice) feat_set_float(voice->features, "duration_stretch", 1.05f);
  });
  return voice;
}

class FliteVoice : public Voice {
 public:
  FliteVoice() : voice_(kal16()) {
    if (!voice_) throw VoiceError("Flite could not load its kal16 voice (package flite1-dev)");
  }
  Pcm synthesize(const std::string& text) override {
    cst_wave* w = flite_text_to_wave(text.c_str(), voice_);
    if (!w) throw VoiceError("Flite could not synthesise: " + text);
    Pcm pcm;
    pcm.sample_rate = cst_wave_sample_rate(w);
    pcm.samples.assign(cst_wave_samples(w), cst_wave_samples(w) + cst_wave_num_samples(w));
    delete_wave(w);
    return pcm;
  }
  const std::string& name() const override { return name_; }

 private:
  cst_voice* voice_;
  std::string name_ = "flite:kal16";
};

}  // namespace

std::unique_ptr<Voice> open_flite_voice(const std::string& voice) {
  if (voice != "kal16")
    throw VoiceError("Flite voice '" + voice + "' is not built in; this build has flite:kal16");
  return std::make_unique<FliteVoice>();
}

}  // namespace ce
