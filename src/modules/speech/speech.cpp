// speech: says each sentence that arrives on input "say" in its locale's
// voice, most urgent first, on the audio device and/or into WAV files, and
// reports each utterance on output "spoken". Input "presynth" makes and
// caches sounds ahead of need (the checkout sends product names at start,
// and what to say by itself while the checkout is down). Input
// "laneStatus" (the runtime's moduleStatus) says when that is, and
// "weight" (the scale's) when a shopper placed an item meanwhile.
#include <algorithm>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/files.h"
#include "common/settings.h"
#include "common/stop_signal.h"
#include "modules/modules.h"
#include "modules/speech/audio_cache.h"
#include "modules/speech/audio_out.h"
#include "modules/speech/heard_sentences.h"
#include "modules/speech/lane_notices.h"
#include "modules/speech/sentence_message.h"
#include "modules/speech/speech_queue.h"
#include "modules/speech/tone.h"
#include "modules/speech/utterance.h"
#include "modules/speech/voice.h"
#include "modules/speech/wav.h"

namespace ce {

namespace {

// One voice per locale the lane speaks, all opened at start so that a
// missing voice stops the module with a message before the first shopper.
class Voices {
 public:
  Voices(const nlohmann::json& desired, const std::string& lane_locale) : lane_(lane_locale) {
    auto chosen = setting<std::map<std::string, std::string>>(desired, "voices", {});
    // Before voices per locale: "voice": "kal16" was the lane's one voice.
    if (desired.contains("voice") && !chosen.count(lane_)) {
      std::string v = setting<std::string>(desired, "voice", "");
      chosen[lane_] = v.find(':') == std::string::npos ? "flite:" + v : v;
    }
    auto locales = setting<std::vector<std::string>>(desired, "locales", {lane_});
    if (std::find(locales.begin(), locales.end(), lane_) == locales.end()) locales.push_back(lane_);
    for (auto& [locale, spec] : chosen)
      if (std::find(locales.begin(), locales.end(), locale) == locales.end())
        locales.push_back(locale);
    for (const std::string& locale : locales) {
      std::string spec = chosen.count(locale) ? chosen[locale] : default_voice_for(locale);
      try {
        by_locale_[locale] = open_voice(spec);
      } catch (const VoiceError& e) {
        throw SettingError("no voice for locale " + locale + ": " + e.what() +
                           "; set desired property voices." + locale + " to one that exists");
      }
    }
  }
  // A sentence in a locale nobody configured is said in the lane's voice.
  Voice& for_locale(const std::string& locale) {
    auto it = by_locale_.find(locale.empty() ? lane_ : locale);
    if (it != by_locale_.end()) return *it->second;
    if (warned_.insert(locale).second)
      std::cerr << "speech: no voice was opened for " << locale << "; using " << lane_
                << "'s (add it to desired property 'locales')\n";
    return *by_locale_.at(lane_);
  }
  nlohmann::json reported() const {
    nlohmann::json out = nlohmann::json::object();
    for (auto& [locale, voice] : by_locale_) out[locale] = voice->name();
    return out;
  }

 private:
  std::string lane_;
  std::map<std::string, std::unique_ptr<Voice>> by_locale_;
  std::set<std::string> warned_;
};

double volume_setting(const nlohmann::json& desired) {
  return setting_in<int>(desired, "volume", 100, 0, 100, "percent") / 100.0;
}

// What speech reads at start (the volume also changes live).
struct SpeechSettings {
  std::string locale, device, wav_dir, cache_dir;
  double volume = 1;
  size_t cache_size = 512;
  size_t cache_files = 5000;  // on disk
  size_t wav_keep = 1000;     // the newest recordings in wavDir
  long long notice_after_ms = 2000, notice_repeat_ms = 20000;

  static SpeechSettings from(const nlohmann::json& d) {
    SpeechSettings s;
    s.locale = setting<std::string>(d, "locale", "en-US");
    s.device = setting<std::string>(d, "device", "default");
    s.volume = volume_setting(d);
    s.wav_dir = setting<std::string>(d, "wavDir", "");
    const char* data = std::getenv("CE_DATA_DIR");
    s.cache_dir = setting<std::string>(d, "cacheDir",
                                       data ? std::string(data) + "/audio-cache" : std::string());
    s.cache_size = setting_in<size_t>(d, "cacheSize", s.cache_size, 1, 100000, "sounds");
    s.cache_files = setting_in<size_t>(d, "cacheFiles", s.cache_files, 1, 1000000, "sounds");
    s.wav_keep = setting_in<size_t>(d, "wavKeep", s.wav_keep, 1, 1000000, "files");
    s.notice_after_ms =
        setting_in<long long>(d, "checkoutDownNoticeMs", s.notice_after_ms, 200, 600000, "ms");
    s.notice_repeat_ms =
        setting_in<long long>(d, "checkoutDownRepeatMs", s.notice_repeat_ms, 2000, 3600000, "ms");
    return s;
  }
};

}  // namespace

void check_speech_settings(const nlohmann::json& desired) {
  Voices voices(desired, SpeechSettings::from(desired).locale);
}

int run_speech(ModuleClient& client, const nlohmann::json& desired) {
  const SpeechSettings settings = SpeechSettings::from(desired);
  const std::string& lane_locale = settings.locale;
  Voices voices(desired, lane_locale);
  const std::string& device = settings.device;
  std::atomic<double> volume = settings.volume;
  const std::string& wav_dir = settings.wav_dir;
  if (!wav_dir.empty()) std::filesystem::create_directories(wav_dir);
  const std::string& cache_dir = settings.cache_dir;
  AudioCache cache(settings.cache_size, cache_dir, settings.cache_files);
  // Recordings are numbered on from the last start's, never over them.
  long long count = 0;
  long long wav_skipped = 0;
  if (!wav_dir.empty()) {
    keep_newest_files(wav_dir, ".wav", settings.wav_keep);
    for (auto& f : std::filesystem::directory_iterator(wav_dir))
      if (long long n = 0; sscanf(f.path().filename().c_str(), "utterance-%lld.wav", &n) == 1)
        count = std::max(count, n);
  }
  const char* data_dir = std::getenv("CE_DATA_DIR");
  LaneNotices notices(
      std::chrono::milliseconds(settings.notice_after_ms),
      std::chrono::milliseconds(settings.notice_repeat_ms),
      data_dir ? std::filesystem::path(data_dir) / "notices.json" : std::filesystem::path());
  AudioOut audio(device);
  SpeechQueue queue;

  HeardSentences heard_before(data_dir ? std::filesystem::path(data_dir) / "heard.json"
                                       : std::filesystem::path());
  client.on_input("say", [&](const Message& m) {
    try {
      SpeechRequest request = read_sentence(m.json(), lane_locale);
      if (heard_before.contains(request.id)) {
        // Named by its id: the log's quoted sentences are what was said.
        std::cerr << "speech: sentence " << request.id << " was heard before; not said again\n";
        client.send_output("spoken", Message::with_json({{"text", request.text},
                                                         {"kind", request.kind},
                                                         {"sentenceId", request.id},
                                                         {"complete", true},
                                                         {"heardBefore", true}}));
        return;
      }
      queue.push(std::move(request));
    } catch (const std::exception& e) {
      std::cerr << "speech: ignored a malformed sentence: " << e.what() << "\n";
    }
  });
  client.on_input("presynth", [&](const Message& m) {
    try {
      auto j = m.json();
      std::string locale = j.value("locale", lane_locale);
      if (auto n = j.find("notices"); n != j.end() && n->is_object())
        notices.set_texts(
            {n->value("module", "checkout"), n->value("down", ""), n->value("back", ""), locale});
      // Made as they will be said: part by part.
      for (const auto& text : j.at("texts"))
        for (const std::string& part : sentence_parts(text.get<std::string>()))
          queue.push({part, "presynth", locale, -1, 0, false});
    } catch (const std::exception& e) {
      std::cerr << "speech: ignored a presynth message without {\"texts\": [...]}: " << e.what()
                << "\n";
    }
  });
  auto say_notice = [&](const std::string& text) {
    auto t = notices.texts();
    // "Please wait" may cut a sentence short; "ready" waits its turn (the
    // checkout back may be saying what was not added).
    int priority = text == t.back ? 1 : 2;
    queue.push(
        {text, "notice", t.locale.empty() ? lane_locale : t.locale, priority, 0, true, "", true});
  };
  client.on_input("laneStatus", [&](const Message& m) {
    try {
      notices.on_status(m.json(), now_ms());
    } catch (const std::exception& e) {
      std::cerr << "speech: ignored a malformed lane status: " << e.what() << "\n";
    }
  });
  client.on_input("weight", [&](const Message& m) {
    try {
      notices.on_weight(m.json());
    } catch (const std::exception&) {
      // Only the count is read here; the checkout judges the weight.
    }
  });
  std::thread notice_clock([&] {
    while (!wait_for_stop(std::chrono::milliseconds(200)))
      if (auto notice = notices.due(now_ms())) say_notice(*notice);
  });
  // For staff testing a lane's speaker: `checkout-edge call speech say '{"text": "hello"}'`.
  client.on_method("say", [&](const nlohmann::json& request) {
    auto text = request.find("text");
    if (text == request.end() || !text->is_string() || text->get<std::string>().empty())
      return MethodResult{400, {{"error", "say needs {\"text\": \"what to say\"}"}}};
    queue.push(
        {text->get<std::string>(), "method", request.value("locale", lane_locale), 1, 0, true});
    return MethodResult{202, {{"queued", text->get<std::string>()}}};
  });

  // Check the device at start, not at the first scan.
  std::atomic<bool> no_interrupt{false};
  Playback probe = audio.play(Pcm{16000, std::vector<int16_t>(160, 0)}, no_interrupt);
  bool audio_ok = probe.ok;
  if (!audio_ok)
    std::cerr << "speech: " << probe.error
              << (wav_dir.empty() ? "; nothing will be heard" : "; writing WAV files to " + wav_dir)
              << "\n";
  client.report({{"voices", voices.reported()},
                 {"device", device},
                 {"audio", audio_ok},
                 {"volume", static_cast<int>(volume * 100 + 0.5)},
                 {"wavDir", wav_dir},
                 {"cacheDir", cache_dir}});

  // Volume applies at once; voices, device and folders are read at start.
  client.on_desired_change([&client, &volume, desired](const nlohmann::json& d) {
    nlohmann::json without_volume = d, before = desired;
    without_volume.erase("volume");
    before.erase("volume");
    if (without_volume != before) return client.restart_to_apply("new desired properties");
    try {
      volume = volume_setting(d);
      client.report(
          {{"volume", static_cast<int>(volume * 100 + 0.5)}, {"lastDesiredError", nullptr}});
    } catch (const std::exception& e) {
      std::cerr << "speech: kept the volume: " << e.what() << "\n";
      client.report({{"lastDesiredError", e.what()}});
    }
  });

  // Whatever the checkout sent before this start (a previous process was
  // saying it, or nobody was listening) is lost: it sends it again.
  client.send_output("spoken", Message::with_json({{"event", "started"}}));

  std::string last_heard_id;  // the sentence last said to its end
  std::thread worker([&] {
    while (!stop_requested()) {
      auto request = queue.next(std::chrono::milliseconds(200));
      if (!request) continue;
      Voice& voice = voices.for_locale(request->locale);
      if (!request->play) {
        try {
          cache.sound(voice, request->text);
        } catch (const std::exception& e) {
          std::cerr << "speech: cannot presynthesise \"" << request->text << "\": " << e.what()
                    << "\n";
        }
        continue;
      }
      // The name was heard: the price goes on from it.
      if (!request->after_id.empty() && request->after_id == last_heard_id &&
          !request->after_text.empty())
        request->text = request->after_text;
      Utterance u;
      bool heard = false;
      try {
        if (!request->tone.empty())
          u.pcm = read_tone();
        else
          u = make_utterance(cache, voice, request->text);
      } catch (const std::exception& e) {
        std::cerr << "speech: cannot say \"" << request->text << "\": " << e.what() << "\n";
        queue.done_playing();
        continue;
      }
      nlohmann::json spoken{
          {"text", request->text},
          {"tone", request->tone.empty() ? nlohmann::json() : nlohmann::json(request->tone)},
          {"kind", request->kind},
          {"sentenceId", request->id},
          {"locale", request->locale},
          {"voice", voice.name()},
          {"samples", u.pcm.samples.size()},
          {"sampleRate", u.pcm.sample_rate},
          {"durationMs", u.pcm.duration_ms()},
          {"rms", rms(u.pcm)},
          {"parts", u.parts},
          {"partsCached", u.parts_ready},
          {"cached", u.parts == u.parts_ready}};
      // A recording is a record, not the sentence: it never takes the
      // journal's last room on the disk.
      if (!wav_dir.empty() && !room_for_extras(wav_dir)) {
        if (!wav_skipped++)
          std::cerr << "speech: the disk of " << wav_dir
                    << " is nearly full; not keeping recordings until it has room\n";
      } else if (!wav_dir.empty()) {
        wav_skipped = 0;
        char name[64];
        snprintf(name, sizeof name, "utterance-%05lld.wav", ++count);
        std::string path = (std::filesystem::path(wav_dir) / name).string();
        if (write_wav(path, u.pcm)) {
          spoken["wav"] = path;
          if (count % 20 == 0) keep_newest_files(wav_dir, ".wav", settings.wav_keep);
          heard = !audio_ok;  // no loudspeaker: the recording is what is said
        } else
          std::cerr << "speech: cannot write " << path << "\n";
      }
      if (audio_ok) {
        Playback played = audio.play(u.pcm, queue.interrupt(), volume);
        if (!played.ok) std::cerr << "speech: " << played.error << "\n";
        spoken["firstAudioMs"] = played.first_audio_ms;
        spoken["playedMs"] = played.samples_played * 1000 / std::max(1, u.pcm.sample_rate);
        spoken["interrupted"] = played.interrupted;
        heard = played.ok && !played.interrupted;
        if (request->origin_ms && played.first_audio_ms)
          spoken["latencyMs"] = played.first_audio_ms - request->origin_ms;
      }
      spoken["complete"] = heard;
      last_heard_id = heard ? request->id : std::string();
      if (heard) heard_before.add(request->id);
      queue.done_playing();
      // A price cut by an alarm is said again, whole, before anything else.
      if (request->whole && spoken.value("interrupted", false)) queue.push_again(*request);
      if (request->tone.empty())
        std::cerr << "speech: \"" << request->text << "\"";
      else
        std::cerr << "speech: (" << request->tone << " tone)";
      if (spoken.contains("latencyMs"))
        std::cerr << " (first sample at " << spoken["firstAudioMs"] << ", " << spoken["latencyMs"]
                  << " ms after the "
                  << (request->kind == "name" ? "item was placed" : "weight settled") << ")";
      if (spoken.value("interrupted", false)) std::cerr << " (interrupted)";
      if (!request->id.empty()) std::cerr << " [sentence " << request->id << "]";
      std::cerr << "\n";
      client.send_output("spoken", Message::with_json(spoken));
    }
  });
  while (!wait_for_stop(std::chrono::seconds(1))) {
  }
  client.stop_receiving();
  queue.wake_all();
  worker.join();
  notice_clock.join();
  return 0;
}

}  // namespace ce
