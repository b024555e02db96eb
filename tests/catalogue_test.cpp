#include "modules/checkout/catalogue.h"

#include <gtest/gtest.h>

#include <fstream>

namespace {
std::string write(const std::string& text) {
  static int n = 0;
  std::string path = testing::TempDir() + "/catalogue" + std::to_string(++n) + ".json";
  std::ofstream(path) << text;
  return path;
}
std::string error_of(const std::string& text) {
  try {
    ce::Catalogue::load(write(text));
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
