#include "modules/speech/audio_out.h"

#include <alsa/asoundlib.h>

namespace ce {

namespace {
// ALSA prints its own diagnostics to stderr; ours say the same in one line.
void quiet(const char*, int, const char*, int, const char*, ...) {}
}  // namespace

AudioOut::AudioOut(std::string device) : device_(std::move(device)) {
  snd_lib_error_set_handler(&quiet);
}

AudioOut::~AudioOut() {
  if (handle_) snd_pcm_close(handle_);
}

bool AudioOut::open(int sample_rate, std::string* error) {
  if (handle_ && rate_ == sample_rate) return true;
  if (handle_) snd_pcm_close(handle_), handle_ = nullptr;
  int rc = snd_pcm_open(&handle_, device_.c_str(), SND_PCM_STREAM_PLAYBACK, 0);
  if (rc < 0) {
    handle_ = nullptr;
    *error = "cannot open audio device '" + device_ + "': " + snd_strerror(rc);
    return false;
  }
  rc = snd_pcm_set_params(handle_, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 1,
                          sample_rate, 1, 100000);
  if (rc < 0) {
    *error = "audio device '" + device_ + "' refuses 16-bit mono at " +
             std::to_string(sample_rate) + " Hz: " + snd_strerror(rc);
    snd_pcm_close(handle_);
    handle_ = nullptr;
    return false;
  }
  rate_ = sample_rate;
  return true;
}

bool AudioOut::play(const Pcm& pcm, std::string* error) {
  if (!open(pcm.sample_rate, error)) return false;
  const int16_t* p = pcm.samples.data();
  snd_pcm_uframes_t left = pcm.samples.size();
  while (left > 0) {
    snd_pcm_sframes_t n = snd_pcm_writei(handle_, p, left);
    if (n < 0) n = snd_pcm_recover(handle_, static_cast<int>(n), 1);
    if (n < 0) {
      *error = std::string("audio write failed: ") + snd_strerror(static_cast<int>(n));
      return false;
    }
    p += n;
    left -= n;
  }
  snd_pcm_drain(handle_);
  return true;
}

}  // namespace ce
