#include "modules/checkout/catalogue.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace {
std::string write(const std::string& text, const std::string& ext = ".json") {
  static int n = 0;
  std::string path = testing::TempDir() + "/catalogue" + std::to_string(getpid()) + "-" +
                     std::to_string(++n) + ext;
  std::ofstream(path) << text;
  return path;
}
std::string error_of(const std::string& text, const std::string& ext = ".json") {
  try {
    ce::Catalogue::load(write(text, ext));
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Catalogue, TheShippedCatalogueLoads) {
  auto c = ce::Catalogue::load(CE_SOURCE_DIR "/config/catalogue.json");
  EXPECT_EQ(c.currency, "USD");
  ASSERT_NE(c.by_tag("banana"), nullptr);
  EXPECT_EQ(c.by_tag("banana")->price_minor, 299);
  EXPECT_EQ(c.by_tag("pomegranate")->sold_by, ce::SoldBy::Unit);
  EXPECT_EQ(c.by_tag("teapot"), nullptr);
}

TEST(Catalogue, ErrorsNameTheField) {
  EXPECT_NE(
      error_of(R"({"products": [{"id": "1", "name": "A", "tags": ["a"], "pricePerKg": 2.5}]})")
          .find("products[0].pricePerKg: expected a whole number of minor units"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"products": [{"id": "1", "name": "A", "tags": ["a"]}]})")
                .find("exactly one of pricePerKg or unitPrice"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"products": [{"id": "1", "name": "A", "tags": ["a"], "unitPrice": 1},
                                      {"id": "2", "name": "B", "tags": ["a"], "unitPrice": 1}]})")
                .find("'a' is claimed twice"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"products": []})").find("products: expected a non-empty array"),
            std::string::npos);
  EXPECT_NE(error_of("{").find("not valid JSON"), std::string::npos);
}

TEST(Catalogue, JsonErrorsNameTheLineToo) {
  std::string text = R"({
  "currency": "EUR",
  "products": [
    {"id": "1", "name": "Apple", "tags": ["apple"], "pricePerKg": 249},
    {"id": "2", "name": "Pear", "tags": ["pear"],
     "pricePerKg": "2.49"}
  ]
})";
  std::string e = error_of(text);
  EXPECT_NE(e.find(".json:5: products[1].pricePerKg: expected a whole number"), std::string::npos)
      << e;
}

TEST(Catalogue, CsvWithLocalesTareAndPlausibleWeights) {
  auto path = write(
      "# the store's produce\n"
      "id,name,tags,pricePerKg,unitPrice,tareGrams,minGrams,maxGrams,currency,name.de-DE,name.fr-"
      "FR\n"
      "4011,Banana,Banana|banana,299,,0,50,3000,EUR,Banane,Banane\n"
      "4017,Granny Smith apple,Granny-Smith,449,,12,60,2500,EUR,Granny-Smith-Apfel,\n"
      "3127,Pomegranate,Pomegranate,,199,,,,EUR,Granatapfel,Grenade\n",
      ".csv");
  auto c = ce::Catalogue::load(path);
  EXPECT_EQ(c.currency, "EUR");
  EXPECT_EQ(c.minor_units, 2);
  ASSERT_EQ(c.products.size(), 3u);
  const auto* banana = c.by_tag("banana");
  ASSERT_NE(banana, nullptr);
  EXPECT_EQ(banana->name_in("de-DE"), "Banane");
  EXPECT_EQ(banana->name_in("de-AT"), "Banane");  // the language when the country is missing
  EXPECT_EQ(banana->name_in("ko-KR"), "Banana");  // the default name otherwise
  EXPECT_TRUE(banana->plausible(420));
  EXPECT_FALSE(banana->plausible(3200));
  EXPECT_FALSE(banana->plausible(20));
  EXPECT_EQ(c.by_tag("Granny-Smith")->tare_grams, 12);
  EXPECT_EQ(c.by_tag("Granny-Smith")->name_in("fr-FR"), "Granny Smith apple");
  EXPECT_EQ(c.by_tag("Pomegranate")->sold_by, ce::SoldBy::Unit);
  EXPECT_TRUE(c.by_tag("Pomegranate")->plausible(100000));  // no range given

  EXPECT_EQ(ce::minor_units_of("JPY"), 0);
  EXPECT_EQ(ce::minor_units_of("KWD"), 3);
}

TEST(Catalogue, VarietiesOfOneGroupAreChargedAsTheCheapestWhenTheShopperKnowsOnlyTheGroup) {
  auto c = ce::Catalogue::load(
      write("id,name,tags,pricePerKg,unitPrice,minGrams,maxGrams,group,group.de-DE\n"
            "4017,Granny Smith,Granny-Smith,449,,60,2500,apple,Apfel\n"
            "4130,Pink Lady,Pink-Lady,399,,80,2000,apple,\n"
            "4053,Lemon,Lemon,399,,40,1500,,\n",
            ".csv"));
  ASSERT_EQ(c.groups.size(), 1u);
  const ce::Product* apple = c.group("apple");
  ASSERT_NE(apple, nullptr);
  EXPECT_EQ(apple->id, "4130");
  EXPECT_EQ(apple->price_minor, 399);
  EXPECT_EQ(apple->name_in("de-DE"), "Apfel");
  EXPECT_EQ(apple->name_in("en-US"), "apple");
  EXPECT_EQ(apple->min_grams, 60);
  EXPECT_EQ(apple->max_grams, 2500);
  EXPECT_EQ(c.by_tag("Pink-Lady")->group_name_in("de-DE"), "Apfel") << "a group has one name";
  EXPECT_EQ(c.group("lemon"), nullptr);
  EXPECT_EQ(c.by_tag("Lemon")->group, "");

  auto e = error_of(R"({"products": [{"id": "1", "name": "A", "tags": ["a"], "pricePerKg": 1,
      "group": 7}]})");
  EXPECT_NE(e.find("products[0].group: expected the coarse class as spoken"), std::string::npos)
      << e;
  e = error_of(R"({"products": [{"id": "1", "name": "A", "tags": ["a"], "pricePerKg": 1,
      "groupNames": {"de-DE": "Apfel"}}]})");
  EXPECT_NE(e.find("products[0].groupNames: expected"), std::string::npos) << e;
}

TEST(Catalogue, CsvErrorsNameFileLineAndField) {
  std::string head = "id,name,tags,pricePerKg,unitPrice\n";
  auto e = error_of(head + "1,Apple,apple,2.49,\n", ".csv");
  EXPECT_NE(e.find(".csv:2: pricePerKg: expected a whole number of minor units"), std::string::npos)
      << e;
  e = error_of(head + "1,Apple,apple,249,\n2,Pear,pear,199,99\n", ".csv");
  EXPECT_NE(e.find(".csv:3: pricePerKg/unitPrice: expected exactly one"), std::string::npos) << e;
  e = error_of(head + "1,Apple,apple,249,\n1,Pear,pear,199,\n", ".csv");
  EXPECT_NE(e.find(".csv:3: id: expected a unique id"), std::string::npos) << e;
  e = error_of(head + "1,Apple,apple,249\n", ".csv");
  EXPECT_NE(e.find(".csv:2: the row: expected 5 fields"), std::string::npos) << e;
  e = error_of("id,name,pricePerKg\n1,Apple,249\n", ".csv");
  EXPECT_NE(e.find(".csv:1: the header: expected a tags column, a gtin column, or both"),
            std::string::npos)
      << e;
  e = error_of(head + "1,Apple,,249,\n", ".csv");
  EXPECT_NE(e.find(".csv:2: tags: expected at least one"), std::string::npos) << e;
}
