#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>

#include <cstring>
#include <mutex>

#include "modules/speech/voice.h"

namespace ce {

namespace {

// eSpeak NG keeps one global state per process: every call holds this lock.
std::mutex espeak_mutex;

int collect(short* wav, int n, espeak_EVENT* events) {
  auto* out = static_cast<std::vector<int16_t>*>(events->user_data);
  if (wav && n > 0) out->insert(out->end(), wav, wav + n);
  return 0;
}

// eSpeak NG falls back to a default voice for a name it does not know; we
// would rather say so at start. A voice is known by name, file or language.
bool voice_exists_locked(const std::string& wanted) {
  for (const espeak_VOICE** v = espeak_ListVoices(nullptr); v && *v; ++v) {
    if ((*v)->name && wanted == (*v)->name) return true;
    if ((*v)->identifier) {
      std::string id = (*v)->identifier;
      if (id == wanted || id.substr(id.rfind('/') + 1) == wanted) return true;
    }
    // languages: a priority byte, a name, a zero byte; repeated; ends with a zero byte.
    for (const char* l = (*v)->languages; l && *l; l += std::strlen(l + 1) + 2)
      if (wanted == l + 1) return true;
  }
  return false;
}

void initialise_locked() {
  static bool done = false;
  if (done) return;
  espeak_ng_InitializePath(nullptr);
  espeak_ng_ERROR_CONTEXT context = nullptr;
  espeak_ng_STATUS status = espeak_ng_Initialize(&context);
  if (status != ENS_OK) {
    espeak_ng_ClearErrorContext(&context);
    throw VoiceError("eSpeak NG cannot start: its data is missing (package espeak-ng-data)");
  }
  espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, nullptr);
  espeak_SetSynthCallback(collect);
  done = true;
}

class EspeakVoice : public Voice {
 public:
  explicit EspeakVoice(std::string voice) : voice_(std::move(voice)), name_("espeak-ng:" + voice_) {
    std::lock_guard lock(espeak_mutex);
    initialise_locked();
    if (!voice_exists_locked(voice_) || espeak_ng_SetVoiceByName(voice_.c_str()) != ENS_OK)
      throw VoiceError("eSpeak NG has no voice '" + voice_ +
                       "' (package espeak-ng-data; `espeak-ng --voices` lists them)");
  }
  Pcm synthesize(const std::string& text) override {
    std::lock_guard lock(espeak_mutex);
    espeak_ng_SetVoiceByName(voice_.c_str());
    Pcm pcm;
    pcm.sample_rate = espeak_ng_GetSampleRate();
    espeak_ng_STATUS status = espeak_ng_Synthesize(text.c_str(), text.size() + 1, 0, POS_CHARACTER,
                                                   0, espeakCHARS_UTF8, nullptr, &pcm.samples);
    if (status != ENS_OK) throw VoiceError("eSpeak NG could not synthesise: " + text);
    espeak_ng_Synchronize();
    return pcm;
  }
  const std::string& name() const override { return name_; }

 private:
  std::string voice_, name_;
};

}  // namespace

std::unique_ptr<Voice> open_espeak_voice(const std::string& voice) {
  return std::make_unique<EspeakVoice>(voice);
}

}  // namespace ce
