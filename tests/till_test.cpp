// The checkout's answers, on a real journal file: questions and the keypad,
// basket commands, payment and receipts, and what survives a restart.
#include "modules/checkout/till.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "modules/checkout/receipt.h"

using ce::Saying;
using ce::ScanDecision;
using nlohmann::json;

namespace {

ce::Catalogue catalogue() {
  ce::Catalogue c;
  c.products.push_back({"4011", "Banana", {"banana"}, ce::SoldBy::Weight, 299});
  c.products.push_back({"4235", "Plantain", {"plantain"}, ce::SoldBy::Weight, 349});
  c.products.push_back({"4959", "Mango", {"mango"}, ce::SoldBy::Unit, 150});
  c.products.back().names["de-DE"] = "Mango (Stück)";
  return c;
}

std::string journal_file(const std::string& name) {
  std::string path = testing::TempDir() + "/till_" + name + ".db";
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return path;
}

ScanDecision unsure(const ce::Catalogue& c, const std::string& scan_id, int grams) {
  ScanDecision d{ScanDecision::Kind::NotRecognised, scan_id, grams, 1000, {}};
  d.candidates = {{&c.products[0], 0.3}, {&c.products[1], 0.25}, {&c.products[2], 0.2}};
  return d;
}

ScanDecision sure(const ce::Catalogue& c, size_t product, const std::string& scan_id, int grams) {
  return {ScanDecision::Kind::Recognised, scan_id, grams, 1000, {{&c.products[product], 0.9}}};
}

std::string text_of(const std::vector<Saying>& s) { return s.empty() ? "" : s.front().text; }

}  // namespace

TEST(Till, AnUnsureScanAsksAndTheKeypadAnswersEvenAfterARestart) {
  auto c = catalogue();
  std::string path = journal_file("question");
  {
    ce::Journal j(path);
    ce::Till till(j, c, {});
    auto said = till.decided(unsure(c, "w1", 420), 1000);
    ASSERT_EQ(said.size(), 1u);
    EXPECT_EQ(said[0].text,
              "Is it 1 Banana, 2 Plantain, 3 Mango? Press the number, or 0 for none.");
    EXPECT_EQ(said[0].kind, "question");
    EXPECT_TRUE(j.lines().empty());
    EXPECT_EQ(text_of(till.key("7")), "Please press a number from 1 to 3, or 0 for none.");
  }
  ce::Journal j(path);  // as after kill -9 while the shopper thinks
  ce::Till till(j, c, {});
  EXPECT_TRUE(till.basket().contains("question"));
  auto said = till.key("2");
  EXPECT_EQ(text_of(said), "Plantain, 0.42 kilograms, 1 dollar 47.");
  ASSERT_EQ(j.lines().size(), 1u);
  EXPECT_EQ(j.lines()[0].product_id, "4235");
  EXPECT_EQ(j.lines()[0].price_minor, 147);  // 349 x 0.420 = 146.58
  // Answered: the digit no longer chooses anything.
  EXPECT_EQ(till.key("1")[0].kind, "info");
  EXPECT_EQ(j.lines().size(), 1u);
}

TEST(Till, ZeroChoosesNoneAndARemovedItemDropsTheQuestion) {
  auto c = catalogue();
  ce::Journal j(journal_file("none"));
  ce::Till till(j, c, {});
  till.decided(unsure(c, "w1", 420), 1000);
  EXPECT_EQ(till.key("0")[0].kind, "not-recognised");
  EXPECT_TRUE(j.lines().empty());
  till.decided(unsure(c, "w2", 420), 2000);
  auto withdrawn = till.item_removed();
  ASSERT_EQ(withdrawn.size(), 1u);
  EXPECT_EQ(withdrawn[0].text,
            "The item was taken off, so its question is withdrawn. Place it again to add it.");
  EXPECT_TRUE(till.item_removed().empty()) << "nothing to withdraw the second time";
  EXPECT_FALSE(till.basket().contains("question"));
  EXPECT_THROW(till.command({{"command", "answer"}, {"choice", 1}}), ce::CommandError);
  EXPECT_TRUE(j.lines().empty());
}

TEST(Till, BasketCommandsVoidChangeQuantityTotalAndRepeat) {
  auto c = catalogue();
  ce::Journal j(journal_file("commands"));
  ce::Till till(j, c, {});
  for (auto& s : till.decided(sure(c, 0, "w1", 1000), 0)) till.said(s);  // 2.99
  for (auto& s : till.decided(sure(c, 2, "w2", 300), 0)) till.said(s);   // 1.50 each
  for (auto& s : till.decided(sure(c, 1, "w3", 2000), 0)) till.said(s);  // 6.98
  EXPECT_EQ(text_of(till.command({{"command", "repeat"}})), "Plantain, 2 kilograms, 6 dollars 98.");
  EXPECT_EQ(text_of(till.command({{"command", "total"}})), "Total, 11 dollars 47.");

  long long mango = j.lines()[1].line_no;
  EXPECT_EQ(text_of(till.command({{"command", "quantity"}, {"line", mango}, {"quantity", 3}})),
            "Mango, 3 pieces, 4 dollars 50.");
  EXPECT_EQ(j.line(mango)->price_minor, 450);
  // Weighed goods are weighed, not counted.
  try {
    till.command({{"command", "quantity"}, {"line", j.lines()[0].line_no}, {"quantity", 2}});
    FAIL() << "a weighed line took a quantity";
  } catch (const ce::CommandError& e) {
    EXPECT_NE(std::string(e.what()).find("sold by weight"), std::string::npos);
  }
  EXPECT_EQ(text_of(till.key("-")), "Removed Plantain.");
  EXPECT_EQ(text_of(till.command({{"command", "void"}, {"line", j.lines()[0].line_no}})),
            "Removed Banana.");
  EXPECT_THROW(till.command({{"command", "void"}, {"line", 999}}), ce::CommandError);
  EXPECT_EQ(till.basket()["totalMinor"], 450);
  EXPECT_EQ(till.basket()["lines"].size(), 1u);
  EXPECT_THROW(till.command({{"command", "dance"}}), ce::CommandError);
  EXPECT_THROW(till.command({{"command", "quantity"}, {"line", "two"}}), ce::CommandError);

  // Every change is in the journal, in order.
  std::vector<std::string> kinds;
  for (auto& e : j.events()) kinds.push_back(e["kind"]);
  EXPECT_EQ(kinds, (std::vector<std::string>{"add", "add", "add", "quantity", "void", "void"}));
}

TEST(Till, PayingIssuesAReceiptAndOpensANewBasket) {
  auto c = catalogue();
  ce::Journal j(journal_file("pay"));
  ce::Till till(j, c, {});
  till.decided(sure(c, 0, "w1", 420), 0);  // 1.26
  till.decided(sure(c, 2, "w2", 300), 0);  // 1.50
  long long first = j.basket_id();
  EXPECT_THROW(till.command({{"command", "pay"}, {"tenderedMinor", 200}}), ce::CommandError);
  EXPECT_EQ(text_of(till.key("Enter")), "Total, 2 dollars 76. Press Enter again to pay.");
  EXPECT_EQ(text_of(till.key("Enter")), "Paid, 2 dollars 76. Change, 0 dollars. Thank you.");
  auto receipt = till.take_receipt();
  ASSERT_TRUE(receipt);
  EXPECT_EQ((*receipt)["totalMinor"], 276);
  EXPECT_EQ((*receipt)["changeMinor"], 0);
  EXPECT_EQ((*receipt)["lines"].size(), 2u);
  std::string text = ce::receipt_text(*receipt);
  EXPECT_NE(text.find("Banana"), std::string::npos) << text;
  EXPECT_NE(text.find("0.420 kg @ 2.99/kg"), std::string::npos) << text;
  EXPECT_NE(text.find("TOTAL USD"), std::string::npos) << text;
  EXPECT_NE(text.find("2.76"), std::string::npos) << text;
  EXPECT_FALSE(till.take_receipt());  // issued once
  EXPECT_NE(j.basket_id(), first);
  EXPECT_TRUE(j.lines().empty());
  EXPECT_THROW(till.command({{"command", "pay"}}), ce::CommandError);

  till.decided(sure(c, 2, "w3", 300), 0);
  auto paid = till.command({{"command", "pay"}, {"tenderedMinor", 500}});
  EXPECT_EQ(text_of(paid), "Paid, 5 dollars. Change, 3 dollars 50. Thank you.");
  EXPECT_EQ((*till.take_receipt())["changeMinor"], 350);
  // The same scan delivered again after payment is not sold twice.
  EXPECT_TRUE(till.decided(sure(c, 2, "w3", 300), 0).empty());
}

TEST(Till, CancelNeedsTwoPressesAndAnotherKeyDisarmsIt) {
  auto c = catalogue();
  ce::Journal j(journal_file("cancel"));
  ce::Till till(j, c, {});
  till.decided(sure(c, 0, "w1", 420), 0);
  EXPECT_EQ(text_of(till.key("/")), "Press cancel again to empty the basket.");
  till.key("+");
  till.key("/");
  EXPECT_EQ(j.lines().size(), 1u);
  EXPECT_EQ(text_of(till.key("/")), "The basket is cancelled.");
  EXPECT_TRUE(j.lines().empty());
}

TEST(Till, ALineNotHeardToItsEndIsSaidAfterARestart) {
  auto c = catalogue();
  std::string path = journal_file("unsaid");
  {
    ce::Journal j(path);
    ce::Till till(j, c, {});
    for (auto& s : till.decided(sure(c, 0, "w1", 420), 0)) {
      till.said(s);
      till.heard(s.line_no);  // speech reported it complete
    }
    // Handed to speech, which died before the price: not heard.
    for (auto& s : till.decided(sure(c, 1, "w2", 1000), 0)) till.said(s);
  }
  ce::Journal j(path);
  ce::Till till(j, c, {});
  auto unsaid = till.unsaid();
  ASSERT_EQ(unsaid.size(), 1u);
  EXPECT_EQ(unsaid[0].text, "Plantain, 1 kilogram, 3 dollars 49.");
  EXPECT_TRUE(unsaid[0].whole()) << "a price is never cut by the next item";
  till.heard(unsaid[0].line_no);
  EXPECT_TRUE(till.unsaid().empty());
}

TEST(Till, SpeaksTheLocaleAndOffersItsWordsToSpeech) {
  auto c = catalogue();
  c.currency = "EUR";
  ce::Journal j(journal_file("locale"));
  ce::TillSettings settings;
  settings.locale = "de-DE";
  ce::Till till(j, c, settings);
  EXPECT_EQ(text_of(till.decided(unsure(c, "w1", 300), 0)),
            "Ist es 1 Banana, 2 Plantain, 3 Mango (Stück)? Drücken Sie die Nummer, oder 0 für "
            "keines.");
  auto words = till.vocabulary();
  EXPECT_NE(std::find(words.begin(), words.end(), "Mango (Stück)"), words.end());
  EXPECT_NE(std::find(words.begin(), words.end(), "Der Warenkorb ist leer."), words.end());
  for (auto& w : words) EXPECT_EQ(w.find('{'), std::string::npos) << w;
}

TEST(Phrases, EveryLocaleHasEveryFixedSentence) {
  for (auto locale : {"en-US", "en-GB", "en-AU", "de-DE", "fr-FR", "es-ES", "zh-CN", "ko-KR"}) {
    auto fixed = ce::fixed_phrases(locale);
    EXPECT_GE(fixed.size(), 10u) << locale;
    for (auto& text : fixed) EXPECT_FALSE(text.empty()) << locale;
  }
  EXPECT_NE(ce::fixed_phrases("ko-KR"), ce::fixed_phrases("en-US"));
}

TEST(Journal, AFirstReleaseJournalIsUpgradedWithItsLines) {
  std::string path = journal_file("v1");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, R"(CREATE TABLE basket_lines (
            line_no INTEGER PRIMARY KEY AUTOINCREMENT, scan_id TEXT NOT NULL UNIQUE,
            created_ms INTEGER NOT NULL, product_id TEXT NOT NULL, name TEXT NOT NULL,
            grams INTEGER NOT NULL, quantity INTEGER NOT NULL, unit_price_minor INTEGER NOT NULL,
            by_weight INTEGER NOT NULL, price_minor INTEGER NOT NULL, currency TEXT NOT NULL,
            probability REAL NOT NULL);
          INSERT INTO basket_lines VALUES (1, 'w1', 5, '4011', 'Banana', 420, 1, 299, 1, 126,
            'USD', 0.9);)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  ce::Journal j(path);
  ASSERT_EQ(j.lines().size(), 1u);
  EXPECT_EQ(j.lines()[0].price_minor, 126);
  EXPECT_TRUE(j.lines()[0].announced);  // the first release said it already
  EXPECT_TRUE(j.unannounced().empty());
}

TEST(Receipt, AmountsKeepTheirMinorUnits) {
  EXPECT_EQ(ce::format_amount(126, 2), "1.26");
  EXPECT_EQ(ce::format_amount(5, 2), "0.05");
  EXPECT_EQ(ce::format_amount(-5, 2), "-0.05");
  EXPECT_EQ(ce::format_amount(1260, 0), "1260");
  EXPECT_EQ(ce::format_amount(1005, 3), "1.005");
}

namespace {

// Two apples and a lemon, with the group's names in the lane's languages.
ce::Catalogue apples() {
  std::string path = testing::TempDir() + "/till_apples.json";
  json names{{"de-DE", "Apfel"},
             {"fr-FR", "pomme"},
             {"es-ES", "manzana"},
             {"zh-CN", "苹果"},
             {"ko-KR", "사과"}};
  std::ofstream(path) << json{
      {"currency", "USD"},
      {"products",
       {{{"id", "4017"},
         {"name", "Granny Smith"},
         {"tags", {"granny"}},
         {"pricePerKg", 449},
         {"group", "apple"},
         {"groupNames", names}},
        {{"id", "4130"},
         {"name", "Pink Lady"},
         {"tags", {"pink"}},
         {"pricePerKg", 399},
         {"group", "apple"}},
        {{"id", "4053"}, {"name", "Lemon"}, {"tags", {"lemon"}}, {"pricePerKg", 399}}}}};
  return ce::Catalogue::load(path);
}

ScanDecision apple_or_lemon(const ce::Catalogue& c, const std::string& scan_id) {
  ScanDecision d{ScanDecision::Kind::NotRecognised, scan_id, 200, 1000, {}};
  d.candidates = {{&c.products[0], 0.5}, {&c.products[2], 0.1}, {&c.products[1], 0.4}};
  d.group = "apple";
  return d;
}

}  // namespace

TEST(Till, SureItIsAnAppleNotWhichAsksWhichAppleAndNotSureIsAnAnswer) {
  auto c = apples();
  ASSERT_NE(c.group("apple"), nullptr);
  ce::Journal j(journal_file("varieties"));
  ce::Till till(j, c, {});
  auto said = till.decided(apple_or_lemon(c, "w1"), 1000);
  // Only apples are offered; the lemon is not one.
  EXPECT_EQ(text_of(said),
            "Which apple is it? 1 Granny Smith, 2 Pink Lady. Press the number, 3 if you do not "
            "know which, or 0 for none.");
  EXPECT_EQ(text_of(till.key("4")), "Please press a number from 1 to 3, or 0 for none.");
  // "I do not know which": an apple, charged as the cheaper apple.
  said = till.key("3");
  EXPECT_EQ(text_of(said), "apple, 0.2 kilograms, 80 cents.");
  ASSERT_EQ(j.lines().size(), 1u);
  EXPECT_EQ(j.lines()[0].product_id, "4130");
  EXPECT_EQ(j.lines()[0].price_minor, 80);  // 399 x 0.200 = 79.8
  // A variety chosen is that variety.
  till.decided(apple_or_lemon(c, "w2"), 2000);
  EXPECT_EQ(text_of(till.key("1")), "Granny Smith, 0.2 kilograms, 90 cents.");
  // The group's name is in speech's vocabulary.
  auto words = till.vocabulary();
  EXPECT_NE(std::find(words.begin(), words.end(), "apple"), words.end());
}

TEST(Till, TheVarietyQuestionIsAskedInEachLanesLanguage) {
  auto c = apples();
  const std::map<std::string, std::string> expected{
      {"en-US", "Which apple is it? 1 Granny Smith, 2 Pink Lady."},
      {"en-GB", "Which apple is it?"},
      {"en-AU", "Which apple is it?"},
      {"de-DE",
       "Welche Sorte Apfel ist es? 1 Granny Smith, 2 Pink Lady. Drücken Sie die Nummer, 3"},
      {"fr-FR",
       "Quelle variété de pomme est-ce ? 1 Granny Smith, 2 Pink Lady. Appuyez sur le "
       "numéro, 3"},
      {"es-ES", "¿Qué variedad de manzana es? 1 Granny Smith, 2 Pink Lady. Pulse el número, 3"},
      {"zh-CN", "是哪种苹果？1 Granny Smith, 2 Pink Lady。请按数字，不确定请按3"},
      {"ko-KR", "어떤 사과입니까? 1 Granny Smith, 2 Pink Lady. 번호를 누르세요. 모르시면 3"}};
  for (auto& [locale, start] : expected) {
    ce::Journal j(journal_file("varieties-" + locale));
    ce::TillSettings settings;
    settings.locale = locale;
    ce::Till till(j, c, settings);
    std::string text = text_of(till.decided(apple_or_lemon(c, "w1"), 1000));
    EXPECT_EQ(text.rfind(start, 0), 0u) << locale << ": " << text;
    // Not sure which: the line is the group's, in the lane's language.
    std::string line = text_of(till.key("3"));
    EXPECT_EQ(
        line.rfind(locale.rfind("en", 0) == 0 ? "apple" : c.group("apple")->name_in(locale), 0), 0u)
        << locale << ": " << line;
  }
}

// What the lane learns from the basket: an answer at once, an accepted line
// once paid, a void or "none of these" against, a cancelled basket nothing.
TEST(Till, TeachesFromAnswersPaymentsAndVoidsAndTakesBackACancelledBasket) {
  auto c = catalogue();
  ce::Journal j(journal_file("teach"));
  ce::Till till(j, c, {});
  auto with_scene = [](ScanDecision d, const std::string& scene) {
    d.scene = scene;
    return d;
  };
  till.decided(with_scene(unsure(c, "w1", 420), "scene-1"), 1000);
  till.key("2");  // Plantain
  auto taught = till.take_teachings();
  ASSERT_EQ(taught.size(), 1u);
  EXPECT_EQ(taught[0]["scene"], "scene-1");
  EXPECT_EQ(taught[0]["tags"], json::array({"plantain"}));
  EXPECT_EQ(taught[0]["against"], false);
  EXPECT_EQ(taught[0]["source"], "answer");

  till.decided(with_scene(unsure(c, "w2", 420), "scene-2"), 1000);
  till.key("0");  // none of these: against each product offered
  taught = till.take_teachings();
  ASSERT_EQ(taught.size(), 3u);
  for (auto& t : taught) EXPECT_TRUE(t["against"].get<bool>()) << t.dump();

  till.decided(with_scene(sure(c, 0, "w3", 420), "scene-3"), 1000);  // Banana, accepted
  till.decided(with_scene(sure(c, 2, "w4", 300), "scene-4"), 1000);  // Mango, accepted
  EXPECT_TRUE(till.take_teachings().empty()) << "an accepted line teaches once it is paid";
  till.command({{"command", "void-last"}});  // the Mango was wrong
  taught = till.take_teachings();
  ASSERT_EQ(taught.size(), 1u);
  EXPECT_EQ(taught[0]["scene"], "scene-4");
  EXPECT_TRUE(taught[0]["against"].get<bool>());
  EXPECT_EQ(taught[0]["source"], "void");

  till.command({{"command", "pay"}});
  taught = till.take_teachings();
  ASSERT_EQ(taught.size(), 1u) << "the answered line taught already; the void teaches no more";
  EXPECT_EQ(taught[0]["scene"], "scene-3");
  EXPECT_EQ(taught[0]["source"], "paid");
  EXPECT_FALSE(taught[0]["against"].get<bool>());

  // A new basket, answered, then cancelled: what it taught is taken back.
  till.decided(with_scene(unsure(c, "w5", 420), "scene-5"), 1000);
  till.key("1");
  EXPECT_EQ(till.take_teachings().size(), 1u);
  till.key("/");
  till.key("/");
  taught = till.take_teachings();
  ASSERT_EQ(taught.size(), 1u);
  EXPECT_EQ(taught[0]["scene"], "scene-5");
  EXPECT_TRUE(taught[0]["forget"].get<bool>());
}

TEST(Till, AChoiceTheWeightRulesOutIsNotLearnt) {
  auto c = catalogue();
  c.products[1].min_grams = 50;
  c.products[1].max_grams = 300;
  ce::Journal j(journal_file("teach-weight"));
  ce::Till till(j, c, {});
  ScanDecision d = unsure(c, "w1", 2000);
  d.scene = "scene-1";
  till.decided(d, 1000);
  auto said = till.key("2");  // Plantain at 2 kg: not plausible
  ASSERT_FALSE(said.empty());
  EXPECT_EQ(said.front().kind, "check-weight");
  EXPECT_TRUE(till.take_teachings().empty());
}

TEST(Till, StaffCorrectALineRungUpAgainAsTheRightProductAndTheLaneLearnsIt) {
  auto c = catalogue();
  ce::Journal j(journal_file("correct"));
  ce::Till till(j, c, {});
  ScanDecision d = sure(c, 0, "w1", 420);  // accepted as Banana; it was a Plantain
  d.scene = "scene-1";
  till.decided(d, 1000);
  auto said = till.command({{"command", "correct"}, {"line", 1}, {"productId", "4235"}});
  ASSERT_EQ(said.size(), 2u);
  EXPECT_EQ(said[0].text, "Removed Banana.");
  EXPECT_EQ(said[1].text, "Plantain, 0.42 kilograms, 1 dollar 47.");
  auto lines = j.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].product_id, "4235");
  auto taught = till.take_teachings();
  ASSERT_EQ(taught.size(), 1u);
  EXPECT_EQ(taught[0]["scene"], "scene-1");
  EXPECT_EQ(taught[0]["tags"], json::array({"plantain"}));
  EXPECT_EQ(taught[0]["source"], "staff");
  EXPECT_THROW(till.command({{"command", "correct"}, {"line", 9}, {"productId", "4235"}}),
               ce::CommandError);
  EXPECT_THROW(till.command({{"command", "correct"}, {"line", 2}, {"productId", "nope"}}),
               ce::CommandError);
}

// Paying while the lane asks about an item would leave that item uncharged.
TEST(Till, PayWhileAQuestionIsOpenIsRefusedAndKeepsTheItem) {
  auto c = catalogue();
  ce::Journal j(journal_file("pay-question"));
  ce::Till till(j, c, {});
  till.decided(sure(c, 2, "w1", 300), 1000);  // Mango, 1.50
  till.decided(unsure(c, "w2", 420), 2000);   // is it a banana?
  for (auto said : {till.command({{"command", "pay"}}), till.key("Enter"), till.key("Enter")}) {
    ASSERT_EQ(said.size(), 1u);
    EXPECT_EQ(said[0].text, "Please answer the question about the last item first.");
  }
  EXPECT_TRUE(till.basket().contains("question"));
  EXPECT_FALSE(till.take_receipt());
  EXPECT_EQ(j.lines().size(), 1u);
  till.key("1");  // a banana: now in the basket
  EXPECT_EQ(j.lines().size(), 2u);
  till.key("Enter");
  auto paid = till.key("Enter");
  ASSERT_FALSE(paid.empty());
  EXPECT_EQ(paid[0].kind, "paid");
  auto receipt = till.take_receipt();
  ASSERT_TRUE(receipt);
  EXPECT_EQ((*receipt)["lines"].size(), 2u);
}

TEST(Till, AnItemLiftedBeforeItWasDecidedIsSaidNotAddedAndThePlacementIsKeptUntilThen) {
  auto c = catalogue();
  std::string path = journal_file("lifted");
  {
    ce::Journal j(path);
    ce::Till till(j, c, {});
    till.placement_settled("w3", 420, 1200);
  }
  ce::Journal j(path);
  ce::Till till(j, c, {});
  auto kept = till.placement();
  ASSERT_TRUE(kept) << "a settled placement outlives a restart";
  EXPECT_EQ((*kept)["scanId"], "w3");
  ScanDecision lifted{ScanDecision::Kind::Lifted, "w3", 420, 1200, {}};
  auto said = till.decided(lifted, 1200);
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0].text, "The last item was not added. Please place it on the scale again.");
  EXPECT_FALSE(till.placement());
  EXPECT_TRUE(j.lines().empty());
}

TEST(Till, ItemsTheScaleCountedWhileTheCheckoutCouldNotHearAreSaidNotAdded) {
  auto c = catalogue();
  std::string path = journal_file("scale_count");
  {
    ce::Journal j(path);
    ce::Till till(j, c, {});
    EXPECT_TRUE(till.scale_placements("run-a", 4, false).sayings.empty()) << "the first count";
    EXPECT_TRUE(till.scale_placements("run-a", 4, false).sayings.empty());
    // The next item, heard as it settles: nothing missed.
    auto next = till.scale_placements("run-a", 5, true);
    EXPECT_TRUE(next.sayings.empty());
    EXPECT_TRUE(next.new_placement);
  }
  // After a restart: two items came and went, a third is on the scale now.
  ce::Journal j(path);
  ce::Till till(j, c, {});
  auto missed = till.scale_placements("run-a", 8, true);
  EXPECT_EQ(text_of(missed.sayings),
            "The last 2 items were not added. Please place them on the scale again.");
  EXPECT_EQ(missed.sayings[0].kind, "not-added");
  EXPECT_TRUE(missed.sayings[0].whole()) << "nothing as urgent cuts it short";
  EXPECT_EQ(text_of(till.scale_placements("run-a", 9, false).sayings),
            "The last item was not added. Please place it on the scale again.");
  // A scale that started again counts from nothing: no guess.
  EXPECT_TRUE(till.scale_placements("run-b", 3, false).sayings.empty());
  EXPECT_TRUE(till.scale_placements("run-b", 3, false).sayings.empty());
}
