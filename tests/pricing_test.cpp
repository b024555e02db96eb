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
  EXPECT_EQ(ce::say_money(210, "GBP"), "2 pounds 10");
  EXPECT_EQ(ce::say_money(0, "USD"), "0 dollars");
}
