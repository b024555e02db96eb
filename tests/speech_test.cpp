// Speech's core on the real engines: a voice for every locale the lane can
// speak, the sound cache on disk, the queue's order and barge-in.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "modules/speech/audio_cache.h"
#include "modules/speech/audio_out.h"
#include "modules/speech/lane_notices.h"
#include "modules/speech/sentence_message.h"
#include "modules/speech/speech_queue.h"
#include "modules/speech/tone.h"
#include "modules/speech/utterance.h"
#include "modules/speech/voice.h"
#include "modules/speech/wav.h"

namespace {

// Counts what it is asked to make, so a test sees the cache spare it.
class CountingVoice : public ce::Voice {
 public:
  ce::Pcm synthesize(const std::string& text) override {
    ++made;
    return {16000, std::vector<int16_t>(text.size() * 100, 1000)};
  }
  const std::string& name() const override { return name_; }
  int made = 0;

 private:
  std::string name_ = "counting:test";
};

}  // namespace

TEST(Voices, EveryLaneLocaleHasAVoiceThatMakesSound) {
  const std::pair<const char*, const char*> samples[] = {
      {"en-US", "Banana, 0.42 kilograms, 1 dollar 26."},
      {"en-GB", "Banana, 0.42 kilograms, 2 pounds 10 pence."},
      {"en-AU", "Banana, 0.42 kilograms, 1 dollar 26."},
      {"de-DE", "Banane, 0,42 Kilogramm, 1 Euro 26."},
      {"fr-FR", "Banane, 0,42 kilogramme, 1 euro 26."},
      {"es-ES", "Plátano, 0,42 kilogramos, 1 euro con 26."},
      {"zh-CN", "香蕉，0.42公斤，1元2角6分。"},
      {"ko-KR", "바나나, 0.42킬로그램, 1260원."}};
  for (auto& [locale, text] : samples) {
    auto voice = ce::open_voice(ce::default_voice_for(locale));
    ce::Pcm pcm = voice->synthesize(text);
    EXPECT_GT(pcm.duration_ms(), 800) << locale << " " << voice->name();
    EXPECT_GT(ce::rms(pcm), 200) << locale << " " << voice->name();
  }
  EXPECT_EQ(ce::default_voice_for("en-GB"), "flite:kal16");
  EXPECT_EQ(ce::default_voice_for("zh-CN"), "espeak-ng:cmn");
}

TEST(Voices, AMissingVoiceSaysWhatToChooseInstead) {
  try {
    ce::open_voice("espeak-ng:klingon");
    FAIL();
  } catch (const ce::VoiceError& e) {
    EXPECT_NE(std::string(e.what()).find("no voice 'klingon'"), std::string::npos) << e.what();
  }
  try {
    ce::open_voice("piper:amy");
    FAIL();
  } catch (const ce::VoiceError& e) {
    EXPECT_NE(std::string(e.what()).find("flite"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ce::open_voice("flite:rms"), ce::VoiceError);
}

TEST(AudioCache, SoundsAreMadeOnceAndKeptOnDiskAcrossRestarts) {
  std::string dir = testing::TempDir() + "/audio-cache-test";
  std::filesystem::remove_all(dir);
  CountingVoice voice;
  bool found = true;
  {
    ce::AudioCache cache(8, dir);
    auto first = cache.sound(voice, "Banana", &found);
    EXPECT_FALSE(found);
    auto again = cache.sound(voice, "Banana", &found);
    EXPECT_TRUE(found);
    EXPECT_EQ(first, again);
    EXPECT_EQ(voice.made, 1);
  }
  ce::AudioCache restarted(8, dir);
  auto pcm = restarted.sound(voice, "Banana", &found);
  EXPECT_TRUE(found);
  EXPECT_EQ(voice.made, 1);
  EXPECT_EQ(pcm->samples.size(), 600u);
  EXPECT_EQ(pcm->samples[5], 1000);
  // Another text: another sound. Made for one sentence only, it is not kept
  // on disk.
  restarted.sound(voice, "0.42 kilograms", &found, false);
  EXPECT_FALSE(found);
  EXPECT_EQ(voice.made, 2);
  ce::AudioCache again(8, dir);
  again.sound(voice, "0.42 kilograms", &found);
  EXPECT_FALSE(found);
  EXPECT_EQ(voice.made, 3);
}

TEST(AudioCache, KeepsOnDiskOnlyTheSoundsUsedLast) {
  std::string dir = testing::TempDir() + "/audio-cache-bound";
  std::filesystem::remove_all(dir);
  CountingVoice voice;
  bool found = false;
  {
    ce::AudioCache cache(4, dir, 100);
    for (int i = 0; i < 130; ++i) {
      cache.sound(voice, "product " + std::to_string(i));
      // Files a few ms apart: the file system's clock ticks that coarsely.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (i == 90) {
        cache.sound(voice, "product 0", &found);  // read from disk: used again, kept
        EXPECT_TRUE(found);
      }
    }
  }
  ce::AudioCache restarted(4, dir, 100);
  size_t files = 0;
  for (auto& f : std::filesystem::directory_iterator(dir)) files += f.path().extension() == ".pcm";
  EXPECT_EQ(files, 100u);
  restarted.sound(voice, "product 0", &found);
  EXPECT_TRUE(found) << "the sound used last stays";
  restarted.sound(voice, "product 1", &found);
  EXPECT_FALSE(found) << "one of the oldest went";
}

TEST(LaneNotices, SaysToWaitOnlyWhenTheCheckoutStaysDownAndThatItIsBack) {
  using namespace std::chrono_literals;
  auto kept = std::filesystem::path(testing::TempDir()) / "notices-test.json";
  std::filesystem::remove(kept);
  auto status = [](const char* s, const char* health) {
    return nlohmann::json{{"modules",
                           {{"checkout", {{"status", s}, {"health", health}}},
                            {"scale", {{"status", "running"}, {"health", "healthy"}}}}}};
  };
  ce::LaneNotices notices(2000ms, 20000ms, kept);
  notices.set_texts({"checkout", "Bitte warten.", "Die Kasse ist bereit.", "de-DE"});
  notices.on_status(status("running", "healthy"), 0);
  EXPECT_FALSE(notices.due(100));
  notices.on_status(status("backoff", ""), 1000);
  EXPECT_FALSE(notices.due(2900)) << "a restart at once is not worth a word";
  // A crash loop: "running" for a moment at each try, never heartbeating.
  notices.on_status(status("running", "starting"), 2950);
  EXPECT_EQ(notices.due(3000).value_or(""), "Bitte warten.");
  EXPECT_FALSE(notices.due(3200)) << "said once, not every tick";
  notices.on_status(status("backoff", ""), 4000);
  EXPECT_EQ(notices.due(23000).value_or(""), "Bitte warten.") << "and again while it waits";
  notices.on_status(status("running", "healthy"), 24000);
  EXPECT_FALSE(notices.due(24500)) << "back once it has stayed up a moment";
  EXPECT_EQ(notices.due(25600).value_or(""), "Die Kasse ist bereit.");
  EXPECT_FALSE(notices.due(30000));
  // Down and back before a word was said: nothing to say either way.
  notices.on_status(status("stopped", ""), 31000);
  notices.on_status(status("running", "healthy"), 31500);
  EXPECT_FALSE(notices.due(33500));
  EXPECT_FALSE(notices.due(40000));
  // A restarted speech module has the checkout's words before the checkout starts.
  ce::LaneNotices restarted(2000ms, 20000ms, kept);
  EXPECT_EQ(restarted.texts().down, "Bitte warten.");
  EXPECT_EQ(restarted.texts().locale, "de-DE");
  restarted.on_status(nlohmann::json::parse("{\"modules\": 3}"), 0);
  restarted.on_status(nlohmann::json::parse("[1]"), 0);
  EXPECT_FALSE(restarted.due(10000));
}

TEST(Utterance, IsMadeOfCachedPartsJoinedWithACommasPause) {
  EXPECT_EQ(ce::sentence_parts("Banana, 0.42 kilograms, 1 dollar 26."),
            (std::vector<std::string>{"Banana", "0.42 kilograms", "1 dollar 26."}));
  EXPECT_EQ(ce::sentence_parts("香蕉，0.42公斤，1元。"),
            (std::vector<std::string>{"香蕉", "0.42公斤", "1元。"}));
  CountingVoice voice;
  ce::AudioCache cache(16, "");
  cache.sound(voice, "Banana");  // prepared at start
  auto u = ce::make_utterance(cache, voice, "Banana, 0.42 kilograms, 1 dollar 26.");
  EXPECT_EQ(u.parts, 3);
  EXPECT_EQ(u.parts_ready, 1);
  EXPECT_EQ(u.pcm.samples.size(), (6 + 14 + 12) * 100u + 2 * 3200u);
  EXPECT_EQ(voice.made, 3);  // "Banana" once, at start
}

TEST(SpeechQueue, TheMostUrgentGoesFirstAndEqualsInOrder) {
  ce::SpeechQueue q;
  q.push({"a line", "line", "en-US", 1, 0, true, "line-1-1", true});
  q.push({"prepare", "presynth", "en-US", -1, 0, false});
  q.push({"another line", "line", "en-US", 1, 0, true, "line-1-2", true});
  EXPECT_FALSE(q.push({"a line", "line", "en-US", 1, 0, true, "line-1-1", true}))
      << "the checkout sent it again after a restart: said once";
  q.push({"scale overloaded", "scale-overload", "en-US", 2});
  std::vector<std::string> order;
  while (auto r = q.next(std::chrono::milliseconds(10))) {
    order.push_back(r->text);
    q.done_playing();
  }
  EXPECT_EQ(order,
            (std::vector<std::string>{"scale overloaded", "a line", "another line", "prepare"}));
}

TEST(SpeechQueue, NotAddedGoesBeforeThePricesWaitingAndCutsNone) {
  ce::SpeechQueue q;
  q.push({"Banana, 1 dollar 26.", "line", "en-US", 1, 0, true, "line-1-1", true});
  ASSERT_TRUE(q.next(std::chrono::milliseconds(10)));
  q.push({"Lemon, 48 cents.", "line", "en-US", 1, 0, true, "line-1-2", true});
  q.push({"Apple, 30 cents.", "line", "en-US", 1, 0, true, "line-1-3", true});
  ce::SpeechRequest not_added{
      "The last item was not added.", "not-added", "en-US", 1, 0, true, "n-1", true};
  not_added.first = true;
  q.push(not_added);
  EXPECT_FALSE(q.interrupt()) << "the price being said is heard to its end";
  ce::SpeechRequest two = not_added;
  two.id = "n-2";
  two.text = "The last 2 items were not added.";
  q.push(two);
  q.push({"Pear, 60 cents.", "line", "en-US", 1, 0, true, "line-1-4", true});
  q.done_playing();
  std::vector<std::string> order;
  while (auto r = q.next(std::chrono::milliseconds(10))) {
    order.push_back(r->text);
    q.done_playing();
  }
  EXPECT_EQ(order, (std::vector<std::string>{"The last item was not added.",
                                             "The last 2 items were not added.", "Lemon, 48 cents.",
                                             "Apple, 30 cents.", "Pear, 60 cents."}));
}

TEST(SpeechQueue, ANewItemInterruptsALongQuestionButPreparationDoesNot) {
  ce::SpeechQueue q;
  ce::AudioOut out("clock");  // paced like a sound card
  q.push({"a long question", "question", "en-US", 1});
  auto playing = q.next(std::chrono::milliseconds(10));
  ASSERT_TRUE(playing);
  ce::Pcm long_sound{16000, std::vector<int16_t>(16000 * 3, 500)};  // 3 s
  auto started = std::chrono::steady_clock::now();
  auto result = std::async(std::launch::async, [&] { return out.play(long_sound, q.interrupt()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  q.push({"prepare", "presynth", "en-US", -1, 0, false});
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ(result.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  q.push({"Lemon, 0.12 kilograms", "line", "en-US", 1});
  ce::Playback played = result.get();
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(played.ok);
  EXPECT_TRUE(played.interrupted);
  EXPECT_LT(played.samples_played, long_sound.samples.size() / 3);
  EXPECT_LT(took, std::chrono::milliseconds(1000));
  EXPECT_GT(played.first_audio_ms, 0);
  q.done_playing();
  EXPECT_EQ(q.next(std::chrono::milliseconds(10))->text, "Lemon, 0.12 kilograms");
}

TEST(SpeechQueue, APriceIsNeverCutByTheNextItemAndAnAlarmMakesItSaidAgainWhole) {
  ce::SpeechQueue q;
  ce::AudioOut out("clock");
  ce::SpeechRequest price{
      "Banana, 0.42 kilograms, 1 dollar 26.", "line", "en-US", 1, 0, true, "line-1-1", true};
  q.push(price);
  q.push({"Is it 1 Apple? Press the number.", "question", "en-US", 1});
  auto playing = q.next(std::chrono::milliseconds(10));
  ASSERT_EQ(playing->text, price.text);
  ce::Pcm sound{16000, std::vector<int16_t>(16000 / 2, 500)};  // 0.5 s
  auto result = std::async(std::launch::async, [&] { return out.play(sound, q.interrupt()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  q.push({"Lemon, 0.12 kilograms, 48 cents.", "line", "en-US", 1, 0, true, "line-1-2", true});
  ce::Playback played = result.get();
  EXPECT_FALSE(played.interrupted) << "the next item waited for the price";
  q.done_playing();
  // The question was stale once the next item came: it gave way.
  EXPECT_EQ(q.next(std::chrono::milliseconds(10))->text, "Lemon, 0.12 kilograms, 48 cents.");

  // A scale alarm is more urgent: it cuts the price, which is said again whole.
  q.push(price);
  playing = q.next(std::chrono::milliseconds(10));
  result = std::async(std::launch::async, [&] { return out.play(sound, q.interrupt()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  q.push({"The scale is overloaded.", "scale-overload", "en-US", 2});
  EXPECT_TRUE(result.get().interrupted);
  q.done_playing();
  q.push_again(*playing);
  EXPECT_EQ(q.next(std::chrono::milliseconds(10))->text, "The scale is overloaded.");
  q.done_playing();
  EXPECT_EQ(q.next(std::chrono::milliseconds(10))->text, price.text);
}

TEST(SpeechQueue, APriceThatFollowsItsNameLetsTheNameFinish) {
  ce::SpeechQueue q;
  ce::AudioOut out("clock");
  q.push({"Banana.", "name", "en-US", 1, 0, true, "name-1"});
  auto playing = q.next(std::chrono::milliseconds(10));
  ASSERT_EQ(playing->text, "Banana.");
  ce::Pcm sound{16000, std::vector<int16_t>(16000 / 2, 500)};  // 0.5 s
  auto result = std::async(std::launch::async, [&] { return out.play(sound, q.interrupt()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ce::SpeechRequest line{
      "Banana, 0.42 kilograms, 1 dollar 26.", "line", "en-US", 1, 0, true, "line-1-1", true};
  line.after_id = "name-1";
  line.after_text = "0.42 kilograms, 1 dollar 26.";
  q.push(line);
  EXPECT_FALSE(result.get().interrupted) << "the name is said to its end";
  q.done_playing();
  EXPECT_EQ(q.next(std::chrono::milliseconds(10))->id, "line-1-1");
  q.done_playing();

  // A name still waiting when its line comes is not said apart: the line
  // (with the name) replaces it.
  q.push({"Lemon.", "name", "en-US", 1, 0, true, "name-2"});
  line.id = "line-1-2";
  line.after_id = "name-2";
  q.push(line);
  EXPECT_EQ(q.next(std::chrono::milliseconds(10))->id, "line-1-2");
  q.done_playing();
  EXPECT_FALSE(q.next(std::chrono::milliseconds(10)));

  // Any other sentence cuts a name, as it cuts any sentence that is not whole.
  q.push({"Banana.", "name", "en-US", 1, 0, true, "name-3"});
  q.next(std::chrono::milliseconds(10));
  result = std::async(std::launch::async, [&] { return out.play(sound, q.interrupt()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  q.push({"Is it 1 Apple? Press the number.", "question", "en-US", 1});
  EXPECT_TRUE(result.get().interrupted);
  q.done_playing();
}

TEST(AudioOut, AnAbsentDeviceSaysWhatToSet) {
  ce::AudioOut out("hw:97,0");
  std::atomic<bool> no{false};
  auto played = out.play({16000, std::vector<int16_t>(160, 0)}, no);
  EXPECT_FALSE(played.ok);
  EXPECT_NE(played.error.find("hw:97,0"), std::string::npos) << played.error;
  EXPECT_NE(played.error.find("clock"), std::string::npos) << played.error;
}

TEST(AudioOut, PlaysAtTheChosenVolume) {
  // ALSA's file plugin: the exact samples the device was given.
  std::string raw = testing::TempDir() + "/volume.raw";
  std::filesystem::remove(raw);
  {
    ce::AudioOut out("file:'" + raw + "',raw");
    std::atomic<bool> no{false};
    auto played = out.play({16000, std::vector<int16_t>(1600, 1000)}, no, 0.5);
    ASSERT_TRUE(played.ok) << played.error;
  }
  std::ifstream in(raw, std::ios::binary);
  std::vector<int16_t> samples(1600);
  ASSERT_TRUE(in.read(reinterpret_cast<char*>(samples.data()), 3200));
  EXPECT_EQ(samples[0], 500);
  EXPECT_EQ(samples[1599], 500);
}

TEST(Speech, ACodeReadIsConfirmedByAShortToneNotWords) {
  auto request = ce::read_sentence({{"tone", "read"}, {"kind", "tone"}}, "en-US");
  EXPECT_EQ(request.tone, "read");
  EXPECT_TRUE(request.text.empty());
  EXPECT_THROW(ce::read_sentence({{"tone", "siren"}}, "en-US"), std::runtime_error);
  EXPECT_THROW(ce::read_sentence({{"kind", "tone"}}, "en-US"), std::runtime_error)
      << "without a tone, a sentence needs its text";
  ce::Pcm tone = ce::read_tone(16000);
  EXPECT_EQ(tone.duration_ms(), 140) << "short: it must not hold up the line that follows";
  int16_t peak = 0;
  for (int16_t s : tone.samples) peak = std::max<int16_t>(peak, std::abs(s));
  EXPECT_GT(peak, 8000) << "loud enough to hear";
  EXPECT_LT(peak, 12000) << "below speech's loudness";
  // Faded in and out: no click at either end.
  EXPECT_LT(std::abs(tone.samples.front()), 200);
  EXPECT_LT(std::abs(tone.samples.back()), 200);
}
