// What a product code says (GTIN, PLU, a GS1 label's weight and price), when
// a code read in a scene counts, and the catalogue's codes.
#include "common/product_code.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "modules/barcodes/scene_codes.h"
#include "modules/checkout/catalogue.h"

using ce::ProductCode;

TEST(ProductCode, ChecksTheCheckDigitAndPadsTheGtinTo14Digits) {
  EXPECT_TRUE(ce::gtin_check_digit_ok("4006381333931"));
  EXPECT_FALSE(ce::gtin_check_digit_ok("4006381333932"));
  EXPECT_FALSE(ce::gtin_check_digit_ok("40063813339"));  // 11 digits
  EXPECT_EQ(ce::gtin14("4006381333931"), "04006381333931");
  EXPECT_EQ(ce::gtin14("96385074"), "00000096385074");  // EAN-8
  EXPECT_EQ(ce::gtin14("4006381333932"), std::nullopt);
  // UPC-E stands for a UPC-A with zeros put back: that is its GTIN.
  EXPECT_EQ(ce::upc_e_to_upc_a("04963406"), "049000006346");
  EXPECT_EQ(ce::gtin14("04963406", true), "00049000006346");

  auto ean = ce::parse_product_code("EAN-13", "4006381333931");
  EXPECT_EQ(ean.gtin, "04006381333931");
  EXPECT_TRUE(ean.plu.empty());
  try {
    ce::parse_product_code("EAN-13", "4006381333932");
    ADD_FAILURE() << "a wrong check digit must never price a line";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("4006381333932"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("check digit"), std::string::npos) << e.what();
  }
}

TEST(ProductCode, ReadsAProduceStickersPluAndADeliLabelsWeightAndPrice) {
  // GS1 DataBar on a banana: the PLU 4011 inside a GTIN.
  auto sticker = ce::parse_product_code("DataBar", "00000000040112");
  EXPECT_EQ(sticker.plu, "4011");
  // DataBar Expanded from a store's scale, as zxing-cpp gives it...
  auto label = ce::parse_product_code("DataBar Expanded", "(01)90012345678908(3103)001750");
  EXPECT_EQ(label.gtin, "90012345678908");
  EXPECT_EQ(label.net_weight_mg, 1'750'000);  // 1.750 kg
  auto priced = ce::parse_product_code("DataBar Expanded", "(01)90012345678908(3922)795");
  EXPECT_EQ(priced.price_amount, 795);
  EXPECT_EQ(priced.price_decimals, 2);
  auto foreign = ce::parse_product_code("DataBar Expanded", "(01)90012345678908(3932)0401234");
  EXPECT_EQ(foreign.price_currency, "040");
  EXPECT_EQ(foreign.price_amount, 1234);
  // ... and as a scanner sends it: the AIs run together, a variable one
  // ended by the group separator.
  auto raw = ce::parse_scanned_code(
      "]e00190012345678908392279\x1d"
      "3103001750");
  EXPECT_EQ(raw.gtin, "90012345678908");
  EXPECT_EQ(raw.price_amount, 79);
  EXPECT_EQ(raw.net_weight_mg, 1'750'000);
  EXPECT_THROW(ce::parse_product_code("DataBar Expanded", "(01)90012345678907"),
               std::invalid_argument);
  EXPECT_THROW(ce::parse_product_code("DataBar Expanded", "(3103)17"), std::invalid_argument);
  EXPECT_THROW(ce::parse_product_code("DataBar Expanded", "01)9001"), std::invalid_argument);
}

TEST(ProductCode, AScannersLineIsAPluACodeOrAClearError) {
  EXPECT_EQ(ce::parse_scanned_code("4011").plu, "4011");
  EXPECT_EQ(ce::parse_scanned_code("4006381333931").symbology, "EAN-13");
  EXPECT_EQ(ce::parse_scanned_code("]E04006381333931").gtin, "04006381333931");
  EXPECT_EQ(ce::parse_scanned_code("036000291452").symbology, "UPC-A");
  try {
    ce::parse_scanned_code("SCAN:4006381333931");
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("prefix and suffix"), std::string::npos) << e.what();
  }
  // What goes over the hub is parsed again, not believed.
  auto j = ce::to_json(ce::parse_product_code("EAN-13", "4006381333931"));
  EXPECT_EQ(ce::product_code_from_json(j).gtin, "04006381333931");
  j["text"] = "4006381333932";
  EXPECT_THROW(ce::product_code_from_json(j), std::invalid_argument);
  EXPECT_THROW(ce::product_code_from_json(nlohmann::json::array()), std::invalid_argument);
}

TEST(SceneCodes, OneReadCountsUnlessAnotherCodeWasReadThenTwoDo) {
  auto a = ce::parse_product_code("EAN-13", "4006381333931");
  auto b = ce::parse_product_code("UPC-E", "04963406");
  ce::SceneCodes scenes;
  auto first = scenes.on_frame("s1", {a});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->gtin, a.gtin);
  EXPECT_TRUE(scenes.decided("s1"));
  EXPECT_FALSE(scenes.on_frame("s1", {a})) << "one code per scene, sent once";
  // Two codes in a scene: neither counts until one is seen again.
  EXPECT_FALSE(scenes.on_frame("s2", {}));
  EXPECT_FALSE(scenes.decided("s2"));
  EXPECT_FALSE(scenes.on_frame("s2", {a, b}));
  auto second = scenes.on_frame("s2", {b});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->gtin, b.gtin);
}

TEST(Catalogue, KnowsProductsByTheirCodesInJsonAndCsv) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(testing::TempDir()) / "catalogue-codes";
  fs::create_directories(dir);
  std::ofstream(dir / "c.json") << R"({"currency": "USD", "products": [
    {"id": "4011", "name": "Banana", "tags": ["banana"], "pricePerKg": 299},
    {"id": "oat-1", "name": "Oat milk", "gtin": ["4006381333931", "96385074"], "unitPrice": 199},
    {"id": "ham", "name": "Ham", "gtin": "90012345678908", "pricePerKg": 1999,
     "priceFromLabel": true}]})";
  auto c = ce::Catalogue::load((dir / "c.json").string());
  ASSERT_NE(c.by_gtin("04006381333931"), nullptr);
  EXPECT_EQ(c.by_gtin("04006381333931")->name, "Oat milk");
  EXPECT_EQ(c.by_gtin("00000096385074")->name, "Oat milk");
  EXPECT_TRUE(c.by_gtin("04006381333931")->packaged) << "a product with a code is packaged";
  EXPECT_TRUE(c.by_gtin("90012345678908")->price_from_label);
  EXPECT_EQ(c.by_id("4011")->name, "Banana");
  EXPECT_EQ(c.by_gtin("00000000000000"), nullptr);

  std::ofstream(dir / "c.csv") << "id,name,tags,gtin,unitPrice,packaged\n"
                                  "oat-1,Oat milk,,4006381333931|036000291452,199,\n"
                                  "4011,Banana,banana,,99,no\n";
  auto csv = ce::Catalogue::load((dir / "c.csv").string());
  EXPECT_EQ(csv.by_gtin("00036000291452")->id, "oat-1");

  std::ofstream(dir / "bad.csv") << "id,name,tags,gtin,unitPrice\n"
                                    "oat-1,Oat milk,,4006381333932,199\n";
  try {
    ce::Catalogue::load((dir / "bad.csv").string());
    ADD_FAILURE() << "a wrong check digit is a typo in the catalogue";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:2: gtin"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "twice.json") << R"({"products": [
    {"id": "a", "name": "A", "gtin": "4006381333931", "unitPrice": 1},
    {"id": "b", "name": "B", "gtin": "04006381333931", "unitPrice": 1}]})";
  EXPECT_THROW(ce::Catalogue::load((dir / "twice.json").string()), std::runtime_error);
}
