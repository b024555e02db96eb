// The checkout decides by code first: a known code rings up its product
// with no question, an unknown one is said and not charged, an image that
// decided otherwise is put right, and an unsure image waits for its code.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/product_code.h"
#include "modules/checkout/scan_session.h"
#include "modules/checkout/till.h"

using ce::ScanDecision;
using nlohmann::json;
using Kind = ce::ScanDecision::Kind;

namespace {

ce::Catalogue catalogue() {
  ce::Catalogue c;
  c.products.push_back({"4011", "Banana", {"banana"}, ce::SoldBy::Weight, 299});
  c.products.push_back({"oat", "Oat milk", {"oat-milk"}, ce::SoldBy::Unit, 199});
  c.products.back().gtins = {"04006381333931"};
  c.products.back().packaged = true;
  c.products.push_back({"ham", "Ham", {}, ce::SoldBy::Weight, 1999});
  c.products.back().gtins = {"90012345678908"};
  c.products.back().price_from_label = true;
  c.products.push_back({"soy", "Soy yoghurt", {"soyghurt"}, ce::SoldBy::Unit, 249});
  c.products.back().packaged = true;
  return c;
}

json preds(std::vector<std::pair<std::string, double>> list) {
  json out = json::array();
  for (auto& [tag, p] : list) out.push_back({{"tagName", tag}, {"probability", p}});
  return out;
}

json code(const std::string& symbology, const std::string& text) {
  return ce::to_json(ce::parse_product_code(symbology, text));
}

// The first words said (a code's read tone goes before them).
std::string text_of_first(const std::vector<ce::Saying>& said) {
  for (const auto& s : said)
    if (s.kind != "tone") return s.text;
  return "";
}

std::string journal_file(const std::string& name) {
  std::string path = testing::TempDir() + "/codes_" + name + ".db";
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return path;
}

}  // namespace

TEST(CodeDecisions, AKnownCodeDecidesWithNoQuestionWhenTheWeightSettles) {
  auto cat = catalogue();
  ce::ScanSession s(cat, {});
  s.on_weight(300, false, 1000, "w1");
  // Read while the weight still moves: it waits for the weight, then decides.
  EXPECT_FALSE(s.on_code(&cat.products[1], code("EAN-13", "4006381333931"), 1050, "scene-1"));
  auto d = s.on_weight(310, true, 1200, "w2");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, Kind::Recognised);
  EXPECT_EQ(d->candidates.front().product->id, "oat");
  EXPECT_EQ(d->scan_id, "w2");
  EXPECT_FALSE(d->code.is_null());
  // The unsure image that comes after changes nothing.
  EXPECT_FALSE(s.on_predictions(preds({{"banana", 0.2}}), 1300, true, {}, "scene-1"));
}

TEST(CodeDecisions, AnUnknownCodeIsNotChargedAndSaidSo) {
  auto cat = catalogue();
  ce::ScanSession s(cat, {});
  s.on_weight(300, true, 1000, "w1");
  auto d = s.on_code(nullptr, code("EAN-13", "5000213002834"), 1100, "scene-1");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, Kind::UnknownCode);
  ce::Journal journal(journal_file("unknown"));
  ce::Till till(journal, cat, {});
  auto said = till.decided(*d, 1000);
  ASSERT_EQ(said.size(), 2u);
  EXPECT_EQ(said[0].kind, "tone");
  EXPECT_EQ(said[1].text, "This item is not in the catalogue. Please ask for help.");
  EXPECT_TRUE(said[1].whole());
  EXPECT_TRUE(journal.lines().empty());
}

TEST(CodeDecisions, ACodeAfterTheImageDecidedGoesByTheCode) {
  auto cat = catalogue();
  ce::ScanSession s(cat, {});
  ce::Journal journal(journal_file("revise"));
  ce::Till till(journal, cat, {});
  s.on_weight(300, true, 1000, "w1");
  // The image was sure it was a banana ...
  auto image = s.on_predictions(preds({{"banana", 0.95}}), 1100, true, {}, "scene-1");
  ASSERT_TRUE(image);
  till.decided(*image, 1000);
  ASSERT_EQ(journal.lines().size(), 1u);
  till.take_teachings();
  // ... and then the package's code was read.
  auto d = s.on_code(&cat.products[1], code("EAN-13", "4006381333931"), 1150, "scene-1");
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->revises);
  auto said = till.decided(*d, 1000);
  ASSERT_EQ(said.size(), 3u);
  EXPECT_EQ(said[0].kind, "tone") << "a tone confirms the read at once";
  EXPECT_EQ(said[1].text, "Removed Banana.");
  EXPECT_EQ(said[2].text, "Oat milk, 1 dollar 99.");
  EXPECT_EQ(journal.lines().at(0).code, "4006381333931");
  EXPECT_EQ(till.basket()["lines"][0]["code"], "4006381333931");
  auto lines = journal.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].product_id, "oat");
  EXPECT_EQ(lines[0].decided_by, "code");
  // The lane learns the scene as oat milk, and not as a banana.
  auto taught = till.take_teachings();
  ASSERT_EQ(taught.size(), 2u);
  EXPECT_EQ(taught[0]["productId"], "4011");
  EXPECT_TRUE(taught[0]["against"].get<bool>());
  EXPECT_EQ(taught[1]["productId"], "oat");
  EXPECT_FALSE(taught[1]["against"].get<bool>());
  EXPECT_EQ(taught[1]["source"], "code");
  // Once decided by a code, more reads of it change nothing.
  EXPECT_FALSE(s.on_code(&cat.products[1], code("EAN-13", "4006381333931"), 1200, "scene-1"));
}

TEST(CodeDecisions, AnUnsureImageWaitsForItsCodeThenAsksAPackageToBeTurned) {
  auto cat = catalogue();
  ce::ScanSettings settings;
  settings.code_wait_ms = 300;
  settings.turn_wait_ms = 2000;
  ce::ScanSession s(cat, settings);
  s.on_weight(300, true, 1000, "w1");
  // Unsure between two packages: held for the code ...
  EXPECT_FALSE(
      s.on_predictions(preds({{"soyghurt", 0.45}, {"oat-milk", 0.4}}), 1100, true, {}, "scene-1"));
  EXPECT_FALSE(s.on_time(1200));
  // ... the reader found none in the scene: turn the package, once.
  auto turn = s.on_code(nullptr, json(), 1210, "scene-1");
  ASSERT_TRUE(turn);
  EXPECT_EQ(turn->kind, Kind::TurnPackage);
  EXPECT_TRUE(s.turning());
  EXPECT_FALSE(s.on_time(2500));
  // Turned: the code on its side decides, with no question.
  auto d = s.on_code(&cat.products[1], code("EAN-13", "4006381333931"), 2600, "scene-2");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, Kind::Recognised);
  EXPECT_EQ(d->candidates.front().product->id, "oat");
  EXPECT_FALSE(d->revises);

  // Another placement whose code is never found: asked once the turn's time is up.
  s.on_weight(0, true, 5000, "w3");
  s.on_weight(250, true, 5100, "w4");
  EXPECT_FALSE(
      s.on_predictions(preds({{"soyghurt", 0.45}, {"oat-milk", 0.4}}), 5200, true, {}, "scene-3"));
  auto turn2 = s.on_time(5500);  // no reader answered in 300 ms: as if none was found
  ASSERT_TRUE(turn2);
  EXPECT_EQ(turn2->kind, Kind::TurnPackage);
  EXPECT_FALSE(s.on_time(7000));
  auto asked = s.on_time(7500);
  ASSERT_TRUE(asked);
  EXPECT_EQ(asked->kind, Kind::NotRecognised);
  EXPECT_EQ(asked->scan_id, "w4");

  // Produce is not turned: its question comes once the reader found nothing.
  s.on_weight(0, true, 9000, "w5");
  s.on_weight(250, true, 9100, "w6");
  EXPECT_FALSE(s.on_predictions(preds({{"banana", 0.4}}), 9200, true, {}, "scene-4"));
  auto q = s.on_code(nullptr, json(), 9210, "scene-4");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->kind, Kind::NotRecognised);
}

TEST(CodeDecisions, AHandScanRingsUpAUnitProductAndAWeighedOneOnceItIsPlaced) {
  auto cat = catalogue();
  ce::ScanSession s(cat, {});
  ce::Journal journal(journal_file("hand"));
  ce::Till till(journal, cat, {});
  auto unit = s.on_code(&cat.products[1], code("EAN-13", "4006381333931"), 1000);
  ASSERT_TRUE(unit);
  EXPECT_EQ(unit->kind, Kind::Recognised);
  EXPECT_EQ(text_of_first(till.decided(*unit, 1000)), "Oat milk, 1 dollar 99.");
  // The same code scanned again is another carton.
  auto again = s.on_code(&cat.products[1], code("EAN-13", "4006381333931"), 1500);
  ASSERT_TRUE(again);
  till.decided(*again, 1500);
  EXPECT_EQ(journal.lines().size(), 2u);
  // A banana's sticker scanned by hand: it must be weighed.
  auto place = s.on_code(&cat.products[0], code("DataBar", "00000000040112"), 2000);
  ASSERT_TRUE(place);
  EXPECT_EQ(place->kind, Kind::PlaceOnScale);
  EXPECT_EQ(text_of_first(till.decided(*place, 2000)), "Banana. Please place it on the scale.");
  s.on_weight(420, false, 2500, "w1");
  auto weighed = s.on_weight(420, true, 2700, "w2");
  ASSERT_TRUE(weighed);
  EXPECT_EQ(text_of_first(till.decided(*weighed, 2700)), "Banana, 0.42 kilograms, 1 dollar 26.");
  // With the bananas still on the scale, a carton scanned by hand is another
  // item: the bananas' line stays.
  auto carton = s.on_code(&cat.products[1], code("EAN-13", "4006381333931"), 3000);
  ASSERT_TRUE(carton);
  EXPECT_FALSE(carton->revises);
  till.decided(*carton, 3000);
  auto lines = journal.lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[2].product_id, "4011");
  EXPECT_EQ(lines[3].product_id, "oat");
}

TEST(CodeDecisions, ADeliLabelPricesTheLineWithItsOwnWeightAndPrice) {
  auto cat = catalogue();
  ce::ScanSession s(cat, {});
  ce::Journal journal(journal_file("label"));
  ce::Till till(journal, cat, {});
  s.on_weight(1760, true, 1000, "w1");
  auto d = s.on_code(&cat.products[2],
                     code("DataBar Expanded", "(01)90012345678908(3103)001750(3922)3498"), 1100,
                     "scene-1");
  ASSERT_TRUE(d);
  EXPECT_EQ(text_of_first(till.decided(*d, 1000)), "Ham, 1.75 kilograms, 34 dollars 98.");
  auto lines = journal.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].grams, 1750);
  EXPECT_EQ(lines[0].price_minor, 3498);
  EXPECT_EQ(lines[0].scale_grams, 1760);
  EXPECT_EQ(till.basket()["lines"][0]["scaleGrams"], 1760);

  // A label priced in euros (AI 3932, 978) is not this store's price: the
  // ham is weighed and priced as usual.
  s.on_weight(0, true, 2000, "w2");
  s.on_weight(1760, true, 2100, "w3");
  auto euros = s.on_code(&cat.products[2],
                         code("DataBar Expanded", "(01)90012345678908(3103)001750(3932)9783498"),
                         2200, "scene-2");
  ASSERT_TRUE(euros);
  EXPECT_EQ(text_of_first(till.decided(*euros, 2100)), "Ham, 1.76 kilograms, 35 dollars 18.");
  // The lane's own weight is kept beside the label's.
  bool kept = false;
  for (const auto& e : journal.events())
    if (e.value("kind", "") == "label")
      kept = e["detail"]["scaleGrams"] == 1760 && e["detail"]["labelGrams"] == 1750;
  EXPECT_TRUE(kept);
}
