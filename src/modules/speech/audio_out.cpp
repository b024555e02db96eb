#include "modules/speech/audio_out.h"

#include <alsa/asoundlib.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "checkout-edge/module.h"

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
  if (device_ == "clock") return true;
  if (handle_ && rate_ == sample_rate) return true;
  if (handle_) snd_pcm_close(handle_), handle_ = nullptr;
  int rc = snd_pcm_open(&handle_, device_.c_str(), SND_PCM_STREAM_PLAYBACK, 0);
  if (rc < 0) {
    handle_ = nullptr;
    *error = "cannot open audio device '" + device_ + "': " + snd_strerror(rc) +
             " (set the speech module's 'device' to one `aplay -L` lists, or to \"clock\" "
             "on a machine without sound)";
    return false;
  }
  // 60 ms of buffer: short enough that barge-in is heard at once.
  rc = snd_pcm_set_params(handle_, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 1,
                          sample_rate, 1, 60000);
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

bool AudioOut::write(const int16_t* p, size_t left, int sample_rate, std::string* error) {
  if (device_ == "clock") {
    std::this_thread::sleep_for(std::chrono::microseconds(left * 1000000 / sample_rate));
    return true;
  }
  while (left > 0) {
    snd_pcm_sframes_t n = snd_pcm_writei(handle_, p, left);
    if (n < 0) n = snd_pcm_recover(handle_, static_cast<int>(n), 1);
    if (n < 0) {
      *error = std::string("audio write failed: ") + snd_strerror(static_cast<int>(n));
      return false;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

Playback AudioOut::play(const Pcm& pcm, const std::atomic<bool>& interrupt, double volume) {
  Playback result;
  if (!open(pcm.sample_rate, &result.error)) {
    result.ok = false;
    return result;
  }
  volume = std::clamp(volume, 0.0, 1.0);
  const size_t chunk = static_cast<size_t>(pcm.sample_rate / 50);  // 20 ms
  std::vector<int16_t> scaled(chunk);
  for (size_t at = 0; at < pcm.samples.size(); at += chunk) {
    if (interrupt) {
      result.interrupted = true;
      if (handle_) snd_pcm_drop(handle_), snd_pcm_prepare(handle_);
      return result;
    }
    size_t n = std::min(chunk, pcm.samples.size() - at);
    for (size_t i = 0; i < n; ++i) scaled[i] = static_cast<int16_t>(pcm.samples[at + i] * volume);
    if (at == 0) result.first_audio_ms = now_ms();
    if (!write(scaled.data(), n, pcm.sample_rate, &result.error)) {
      result.ok = false;
      return result;
    }
    result.samples_played += n;
  }
  if (handle_) snd_pcm_drain(handle_);
  return result;
}

}  // namespace ce
