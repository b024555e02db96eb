#include "modules/checkout/journal.h"

#include <gtest/gtest.h>

#include <filesystem>

TEST(Journal, KeepsLinesAcrossReopeningAndAddsAScanOnce) {
  std::string path = testing::TempDir() + "/journal_test.db";
  std::filesystem::remove(path);
  {
    ce::Journal j(path);
    ce::BasketLine a{0, "scan-1", 1, "4011", "Banana", 420, 1, 299, true, 126, "USD", 0.9};
    ce::BasketLine b{0, "scan-2", 2, "3127", "Pomegranate", 310, 1, 199, false, 199, "USD", 0.8};
    EXPECT_TRUE(j.add(a));
    EXPECT_TRUE(j.add(b));
    ce::BasketLine again = a;
    EXPECT_FALSE(j.add(again));  // the same scan delivered twice
    EXPECT_EQ(j.lines().size(), 2u);
  }
  ce::Journal reopened(path);
  auto lines = reopened.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].name, "Banana");
  EXPECT_EQ(lines[0].grams, 420);
  EXPECT_EQ(lines[0].price_minor, 126);
  EXPECT_FALSE(lines[1].by_weight);
  EXPECT_EQ(lines[0].price_minor + lines[1].price_minor, 325);
}

TEST(Journal, SaysWhichFileCannotBeOpened) {
  try {
    ce::Journal j("/nonexistent-dir/journal.db");
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/journal.db"), std::string::npos);
  }
}

TEST(Journal, RemembersTheItemOnTheScaleWithItsLine) {
  std::string path = testing::TempDir() + "/journal_scale.db";
  std::filesystem::remove(path);
  {
    ce::Journal j(path);
    EXPECT_FALSE(j.item_on_scale());
    ce::BasketLine a{0, "scan-1", 1, "4011", "Banana", 420, 1, 299, true, 126, "USD", 0.9};
    ASSERT_TRUE(j.add(a));
  }
  {
    ce::Journal j(path);  // as after kill -9
    ASSERT_TRUE(j.item_on_scale());
    EXPECT_EQ(*j.item_on_scale(), 420);
    j.set_item_on_scale(std::nullopt);
  }
  EXPECT_FALSE(ce::Journal(path).item_on_scale());
}
