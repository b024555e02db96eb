// speech: says each text that arrives on input "say", on the audio device
// and/or into WAV files, and reports each utterance on output "spoken".
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <iostream>
#include <list>
#include <thread>
#include <unordered_map>

#include "common/settings.h"
#include "common/stop_signal.h"
#include "modules/modules.h"
#include "modules/speech/audio_out.h"
#include "modules/speech/tts.h"

namespace ce {

namespace {

// Checkout phrases repeat ("Banana, ...", "Sorry, ..."): keep recent audio.
class PcmCache {
 public:
  explicit PcmCache(size_t capacity) : capacity_(capacity) {}
  const Pcm* find(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }
  const Pcm* put(const std::string& key, Pcm pcm) {
    order_.emplace_front(key, std::move(pcm));
    index_[key] = order_.begin();
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    return &order_.front().second;
  }

 private:
  size_t capacity_;
  std::list<std::pair<std::string, Pcm>> order_;
  std::unordered_map<std::string, std::list<std::pair<std::string, Pcm>>::iterator> index_;
};

}  // namespace

int run_speech(ModuleClient& client, const nlohmann::json& desired) {
  Tts tts(setting<std::string>(desired, "voice", "kal16"));
  std::string device = setting<std::string>(desired, "device", "default");
  std::string wav_dir = setting<std::string>(desired, "wavDir", "");
  if (!wav_dir.empty()) std::filesystem::create_directories(wav_dir);
  PcmCache cache(setting<size_t>(desired, "cacheSize", 256));
  AudioOut audio(device);

  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::string> queue;
  auto enqueue = [&](std::string text) {
    std::lock_guard lock(mutex);
    queue.push_back(std::move(text));
    cv.notify_one();
  };
  client.on_input("say", [&](const Message& m) {
    try {
      enqueue(m.json().at("text").get<std::string>());
    } catch (const std::exception& e) {
      std::cerr << "speech: ignored a message without {\"text\": ...}: " << e.what() << "\n";
    }
  });
  // For staff testing a lane's speaker: `checkout-edge call speech say '{"text": "hello"}'`.
  client.on_method("say", [&](const nlohmann::json& request) {
    auto text = request.find("text");
    if (text == request.end() || !text->is_string() || text->get<std::string>().empty())
      return MethodResult{400, {{"error", "say needs {\"text\": \"what to say\"}"}}};
    enqueue(text->get<std::string>());
    return MethodResult{202, {{"queued", text->get<std::string>()}}};
  });

  // Check the device at start, not at the first scan.
  std::string audio_error;
  bool audio_ok = audio.play(Pcm{16000, std::vector<int16_t>(160, 0)}, &audio_error);
  if (!audio_ok)
    std::cerr << "speech: " << audio_error
              << (wav_dir.empty() ? "; nothing will be heard" : "; writing WAV files to " + wav_dir)
              << "\n";
  client.report(
      {{"voice", tts.voice()}, {"device", device}, {"audio", audio_ok}, {"wavDir", wav_dir}});

  // Voice, device and folder are read at start; a change restarts the module.
  client.on_desired_change([&client, desired](const nlohmann::json& d) {
    if (d != desired) client.restart_to_apply("new desired properties");
  });
  long long count = 0;
  std::thread worker([&] {
    while (true) {
      std::string text;
      {
        std::unique_lock lock(mutex);
        cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return !queue.empty(); });
        if (stop_requested()) return;
        if (queue.empty()) continue;
        text = std::move(queue.front());
        queue.pop_front();
      }
      const Pcm* pcm = cache.find(tts.voice() + "\n" + text);
      bool cached = pcm != nullptr;
      if (!pcm) pcm = cache.put(tts.voice() + "\n" + text, tts.synthesize(text));
      nlohmann::json spoken{{"text", text},
                            {"samples", pcm->samples.size()},
                            {"sampleRate", pcm->sample_rate},
                            {"durationMs", pcm->samples.size() * 1000 / pcm->sample_rate},
                            {"rms", rms(*pcm)},
                            {"cached", cached}};
      if (!wav_dir.empty()) {
        char name[64];
        snprintf(name, sizeof name, "utterance-%05lld.wav", ++count);
        std::string path = (std::filesystem::path(wav_dir) / name).string();
        if (write_wav(path, *pcm))
          spoken["wav"] = path;
        else
          std::cerr << "speech: cannot write " << path << "\n";
      }
      std::cerr << "speech: \"" << text << "\"\n";
      client.send_output("spoken", Message::with_json(spoken));
      if (audio_ok && !audio.play(*pcm, &audio_error))
        std::cerr << "speech: " << audio_error << "\n";
    }
  });
  while (!wait_for_stop(std::chrono::seconds(1))) {
  }
  client.stop_receiving();
  cv.notify_all();
  worker.join();
  return 0;
}

}  // namespace ce
