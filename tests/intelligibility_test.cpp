// Can a shopper understand the English the lane speaks? Debian's pocketsphinx
// (pocketsphinx-en-us) transcribes the sentences as the speech module makes
// them (parts joined, through the cache), and the word error rate against
// the sentences with their numbers written as words must be at most 0.2.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "modules/checkout/phrases.h"
#include "modules/speech/audio_cache.h"
#include "modules/speech/utterance.h"
#include "modules/speech/voice.h"
#include "modules/speech/wav.h"

namespace {

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string w;
  for (char c : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '\'') {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!w.empty()) {
      out.push_back(w);
      w.clear();
    }
  }
  return out;
}

size_t edit_distance(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string transcribe(const std::string& wav) {
  std::string command =
      "pocketsphinx_continuous -infile '" + wav + "' -logfn /dev/null 2>/dev/null";
  FILE* p = popen(command.c_str(), "r");
  if (!p) return "";
  std::string out;
  std::array<char, 512> buf;
  while (fgets(buf.data(), buf.size(), p)) out += buf.data();
  pclose(p);
  return out;
}

}  // namespace

TEST(Intelligibility, PocketsphinxUnderstandsTheCheckoutsEnglish) {
  ASSERT_EQ(std::system("command -v pocketsphinx_continuous >/dev/null"), 0)
      << "pocketsphinx is missing: run scripts/install-deps.sh";
  // What the checkout says (from its own phrase functions), and the same in words.
  const std::pair<std::string, std::string> sentences[] = {
      {ce::say_line("Banana", 420, 126, "USD", 2, "en-US"),
       "banana zero point four two kilograms one dollar twenty six"},
      {ce::say_line("Lemon", 120, 48, "USD", 2, "en-US"),
       "lemon zero point one two kilograms forty eight cents"},
      {ce::say_line("Apple", 1500, 449, "USD", 2, "en-US"),
       "apple one point five kilograms four dollars forty nine"},
      {ce::say_line("Milk", -1, 199, "USD", 2, "en-US"), "milk one dollar ninety nine"},
      {ce::say_phrase(ce::Phrase::Total, "en-US", {ce::say_money(1250, "USD", 2, "en-US")}),
       "total twelve dollars fifty"},
      {ce::say_phrase(ce::Phrase::AskWhich, "en-US", {"1 Banana, 2 Lemon, 3 Potato"}),
       "is it one banana two lemon three potato press the number or zero for none"},
      {ce::say_phrase(ce::Phrase::Removed, "en-US", {"Banana"}), "removed banana"},
      {ce::say_phrase(ce::Phrase::BasketEmpty, "en-US"), "the basket is empty"},
      {ce::say_phrase(ce::Phrase::Paid, "en-US", {"20 dollars", "7 dollars 50"}),
       "paid twenty dollars change seven dollars fifty thank you"},
      {ce::say_phrase(ce::Phrase::ScaleOverload, "en-US"),
       "the scale is overloaded please take some weight off"},
      {ce::say_check_weight("Banana", 3200, "en-US"),
       "banana three point two kilograms please check"},
  };
  std::string dir = testing::TempDir() + "/intelligibility";
  std::filesystem::create_directories(dir);
  auto voice = ce::open_voice(ce::default_voice_for("en-US"));
  ce::AudioCache cache(64, "");
  size_t errors = 0, total = 0;
  int n = 0;
  for (auto& [text, reference] : sentences) {
    std::string wav = dir + "/sentence-" + std::to_string(++n) + ".wav";
    ASSERT_TRUE(ce::write_wav(wav, ce::make_utterance(cache, *voice, text).pcm));
    std::string heard = transcribe(wav);
    size_t e = edit_distance(words(reference), words(heard));
    errors += e;
    total += words(reference).size();
    std::cout << "said \"" << text << "\", heard \"" << words(heard).size()
              << " words: " << heard.substr(0, heard.find('\n')) << "\" (" << e << " errors)\n";
  }
  double wer = static_cast<double>(errors) / total;
  std::cout << "word error rate " << wer << " over " << total << " words\n";
  EXPECT_LE(wer, 0.2);
}
