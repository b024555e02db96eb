#include "modules/checkout/pricing.h"

#include <gtest/gtest.h>

#include "modules/checkout/phrases.h"

using ce::Rounding;

TEST(Pricing, PricePerKgTimesGramsInWholeMinorUnits) {
  EXPECT_EQ(ce::price_by_weight(299, 420), 126);  // 125.58 -> 126
  EXPECT_EQ(ce::price_by_weight(299, 1000), 299);
  EXPECT_EQ(ce::price_by_weight(149, 1240), 185);  // 184.76
  EXPECT_EQ(ce::price_by_weight(0, 500), 0);
  EXPECT_EQ(ce::price_by_weight(999, 0), 0);
  // Large values do not overflow: 99,999.99 per kg x 50 kg.
  EXPECT_EQ(ce::price_by_weight(9999999, 50000), 499999950);
}

TEST(Pricing, RoundingRules) {
  // 250 x 2 g = 0.5 minor units exactly: the rules differ only here.
  EXPECT_EQ(ce::price_by_weight(250, 2, Rounding::HalfUp), 1);
  EXPECT_EQ(ce::price_by_weight(250, 2, Rounding::HalfEven), 0);
  EXPECT_EQ(ce::price_by_weight(250, 6, Rounding::HalfEven), 2);  // 1.5 -> 2
  EXPECT_EQ(ce::price_by_weight(250, 2, Rounding::Down), 0);
  EXPECT_EQ(ce::price_by_weight(250, 2, Rounding::Up), 1);
  EXPECT_EQ(ce::price_by_weight(1001, 1, Rounding::Up), 2);  // 1.001
  EXPECT_EQ(ce::price_by_weight(1001, 1, Rounding::HalfUp), 1);
  EXPECT_EQ(ce::parse_rounding("half-even"), Rounding::HalfEven);
  EXPECT_THROW(ce::parse_rounding("bankers"), std::invalid_argument);
  EXPECT_THROW(ce::price_by_weight(-1, 10), std::invalid_argument);
}

TEST(Phrases, WeightsAndMoneyAsPeopleSayThem) {
  EXPECT_EQ(ce::say_weight(420), "0.42 kilograms");
  EXPECT_EQ(ce::say_weight(1000), "1 kilogram");
  EXPECT_EQ(ce::say_weight(1240), "1.24 kilograms");
  EXPECT_EQ(ce::say_weight(5), "0.005 kilograms");
  EXPECT_EQ(ce::say_money(126, "USD"), "1 dollar 26");
  EXPECT_EQ(ce::say_money(26, "USD"), "26 cents");
  EXPECT_EQ(ce::say_money(1, "USD"), "1 cent");
  EXPECT_EQ(ce::say_money(200, "USD"), "2 dollars");
  EXPECT_EQ(ce::say_money(126, "EUR"), "1 Euro 26");
  EXPECT_EQ(ce::say_money(210, "GBP"), "2 pounds 10 pence");
  EXPECT_EQ(ce::say_money(0, "USD"), "0 dollars");
}

TEST(Phrases, EachLocaleSaysWeightsAndMoneyItsOwnWay) {
  EXPECT_EQ(ce::say_line("Banana", 420, 126, "USD", 2, "en-US"),
            "Banana, 0.42 kilograms, 1 dollar 26.");
  EXPECT_EQ(ce::say_line("Banana", 420, 126, "AUD", 2, "en-AU"),
            "Banana, 0.42 kilograms, 1 dollar 26.");
  EXPECT_EQ(ce::say_money(210, "GBP", 2, "en-GB"), "2 pounds 10 pence");
  EXPECT_EQ(ce::say_money(1, "GBP", 2, "en-GB"), "1 penny");
  EXPECT_EQ(ce::say_line("Banane", 420, 126, "EUR", 2, "de-DE"),
            "Banane, 0,42 Kilogramm, 1 Euro 26.");
  EXPECT_EQ(ce::say_line("Banane", 2500, 748, "EUR", 2, "fr-FR"),
            "Banane, 2,5 kilogrammes, 7 euros 48.");
  EXPECT_EQ(ce::say_money(126, "EUR", 2, "es-ES"), "1 euro con 26");
  EXPECT_EQ(ce::say_weight(1000, "es-ES"), "1 kilogramo");
  EXPECT_EQ(ce::say_line("香蕉", 420, 126, "CNY", 2, "zh-CN"), "香蕉，0.42公斤，1元2角6分。");
  EXPECT_EQ(ce::say_money(1260, "KRW", 0, "ko-KR"), "1260원");
  EXPECT_EQ(ce::say_line("바나나", 420, 1260, "KRW", 0, "ko-KR"), "바나나, 0.42킬로그램, 1260원.");
  EXPECT_EQ(ce::say_line("Pomegranate", -1, 199, "USD", 2, "en-US"), "Pomegranate, 1 dollar 99.");
  EXPECT_EQ(ce::say_check_weight("Banana", 3200, "en-US"), "Banana, 3.2 kilograms. Please check.");
  EXPECT_EQ(ce::say_check_weight("Banane", 3200, "de-AT"), "Banane, 3,2 Kilogramm. Bitte prüfen.");
  EXPECT_EQ(ce::phrase_locale("pt-BR"), "en-US");
  EXPECT_EQ(ce::phrase_locale("fr-CA"), "fr-FR");
}
