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

TEST(Journal, SaysWhatAProductWeighedInEveryBasketLeavingVoidsOut) {
  std::string path = testing::TempDir() + "/journal_weights.db";
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  ce::Journal j(path);
  auto add = [&](const std::string& scan, const std::string& product, int grams) {
    ce::BasketLine l{0, scan, 1, product, product, grams, 1, 299, true, 100, "USD", 0.9};
    EXPECT_TRUE(j.add(l));
    return l.line_no;
  };
  add("s1", "4011", 400);
  add("s2", "4053", 120);
  j.close_basket("paid", {{"basket", 1}});
  add("s3", "4011", 450);
  long long voided = add("s4", "4011", 9000);
  EXPECT_TRUE(j.void_line(voided));
  EXPECT_EQ(j.weights_of("4011"), (std::vector<int>{450, 400}));  // newest first
  EXPECT_EQ(j.weights_of("4011", 1), (std::vector<int>{450}));
  EXPECT_TRUE(j.weights_of("9999").empty());
}
