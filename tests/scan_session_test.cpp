#include "modules/checkout/scan_session.h"

#include <gtest/gtest.h>

using ce::ScanDecision;
using nlohmann::json;

namespace {

ce::Catalogue catalogue() {
  ce::Catalogue c;
  c.products.push_back({"4011", "Banana", {"banana", "plantain"}, ce::SoldBy::Weight, 299});
  c.products.push_back({"4053", "Lemon", {"lemon"}, ce::SoldBy::Weight, 399});
  return c;
}

json preds(std::vector<std::pair<std::string, double>> list) {
  json out = json::array();
  for (auto& [tag, p] : list) out.push_back({{"tagName", tag}, {"probability", p}});
  return out;
}

}  // namespace

TEST(ScanSession, DecidesOnceFromAFrameTakenAfterTheWeightSettled) {
  auto cat = catalogue();
  ce::ScanSession s(cat, {});
  s.on_weight(0, true, 1000, "w0");
  s.on_weight(300, false, 1100, "w1");
  EXPECT_FALSE(s.on_predictions(preds({{"banana", 0.9}}), 1150));  // still moving
  s.on_weight(420, true, 1200, "w2");
  EXPECT_FALSE(s.on_predictions(preds({{"banana", 0.9}}), 1190));  // frame from before it settled
  auto d = s.on_predictions(preds({{"banana", 0.9}}), 1250);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, ScanDecision::Kind::Recognised);
  EXPECT_EQ(d->candidates[0].product->id, "4011");
  EXPECT_EQ(d->grams, 420);
  EXPECT_EQ(d->scan_id, "w2");
  // Staying on the scale: no second announcement, however many frames.
  s.on_weight(420, true, 1300, "w3");
  EXPECT_FALSE(s.on_predictions(preds({{"banana", 0.9}}), 1350));
  EXPECT_FALSE(s.on_predictions(preds({{"lemon", 0.9}}), 1400));
  // Taken off and a new item placed: a new decision.
  s.on_weight(0, true, 1500, "w4");
  EXPECT_TRUE(s.scale_empty());
  s.on_weight(118, true, 1600, "w5");
  d = s.on_predictions(preds({{"lemon", 0.8}}), 1650);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->candidates[0].product->name, "Lemon");
}

TEST(ScanSession, SumsTheTagsOfOneProductAndAppliesTheThreshold) {
  auto cat = catalogue();
  ce::ScanSettings settings;
  settings.threshold = 0.5;
  ce::ScanSession s(cat, settings);
  s.on_weight(400, true, 10, "a");
  auto d = s.on_predictions(preds({{"lemon", 0.35}, {"banana", 0.3}, {"plantain", 0.3}}), 20);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, ScanDecision::Kind::Recognised);
  EXPECT_EQ(d->candidates[0].product->id, "4011");
  EXPECT_NEAR(d->candidates[0].probability, 0.6, 1e-9);

  s.on_weight(0, true, 30, "b");
  s.on_weight(400, true, 40, "c");
  d = s.on_predictions(preds({{"lemon", 0.3}, {"teapot", 0.6}}), 50);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, ScanDecision::Kind::NotRecognised);
  ASSERT_EQ(d->candidates.size(), 1u);  // still offered as a candidate
}

TEST(ScanSession, IgnoresAHandOrAnEmptyTrayAndWaitsForABetterFrame) {
  auto cat = catalogue();
  ce::ScanSession s(cat, {});
  s.on_weight(400, true, 10, "a");
  EXPECT_FALSE(s.on_predictions(preds({{"hand", 0.9}, {"banana", 0.1}}), 20));
  auto d = s.on_predictions(preds({{"banana", 0.7}}), 30);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, ScanDecision::Kind::Recognised);
}

TEST(ScanSession, AWeightBelowTheMinimumIsAnEmptyScale) {
  auto cat = catalogue();
  ce::ScanSession s(cat, {});
  s.on_weight(3, true, 10, "a");
  EXPECT_TRUE(s.scale_empty());
  EXPECT_FALSE(s.on_predictions(preds({{"banana", 0.9}}), 20));
}

TEST(ScanSession, AfterARestartTheItemStillOnTheScaleIsNotAnnouncedAgain) {
  auto cat = catalogue();
  ce::ScanSession s(cat, {});
  s.resume_decided(420);
  s.on_weight(420, true, 10, "a");
  EXPECT_FALSE(s.on_predictions(preds({{"banana", 0.9}}), 20));
  // A different item replaces it without the scale going empty in between.
  s.on_weight(118, true, 30, "b");
  auto d = s.on_predictions(preds({{"lemon", 0.9}}), 40);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->grams, 118);
  // And after the resumed item is taken off, the next is announced as usual.
  ce::ScanSession t(cat, {});
  t.resume_decided(420);
  t.on_weight(0, true, 10, "c");
  t.on_weight(420, true, 20, "d");
  EXPECT_TRUE(t.on_predictions(preds({{"banana", 0.9}}), 30));
}

TEST(ScanSession, AStillScenesFrameWaitsForTheWeightToSettle) {
  // A gated camera sends a still scene's frames once; if the scale settles
  // after them, the decision is made when it does, not never.
  auto cat = catalogue();
  ce::ScanSession s(cat, {});
  s.on_weight(0, true, 1000, "w0");
  s.on_weight(300, false, 1100, "w1");  // placed
  auto named = s.on_predictions(preds({{"banana", 0.9}}), 1200, true);
  ASSERT_TRUE(named);
  EXPECT_EQ(named->kind, ce::ScanDecision::Kind::Named);
  EXPECT_FALSE(s.on_weight(410, false, 1300, "w2"));
  auto d = s.on_weight(420, true, 1400, "w3");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->candidates[0].product->id, "4011");
  EXPECT_EQ(d->grams, 420);
  EXPECT_EQ(d->scan_id, "w3");
  EXPECT_FALSE(s.on_predictions(preds({{"banana", 0.9}}), 1500, true));  // decided once

  // A still frame from before the item was placed does not count.
  s.on_weight(0, true, 2000, "w4");
  EXPECT_FALSE(s.on_predictions(preds({{"lemon", 0.9}}), 2050, true));
  s.on_weight(118, false, 2100, "w5");
  EXPECT_FALSE(s.on_weight(118, true, 2200, "w6"));
  // Without scene gating a frame must come after the weight settled.
  EXPECT_FALSE(s.on_predictions(preds({{"lemon", 0.9}}), 2150, false));
  EXPECT_TRUE(s.on_predictions(preds({{"lemon", 0.9}}), 2250, false));
}

TEST(ScanSession, ASureStillImageIsNamedBeforeTheWeightSettlesAndOnlyOnce) {
  auto cat = catalogue();
  ce::ScanSession s(cat, {});
  s.on_weight(0, true, 1000, "w0");
  s.on_weight(150, false, 1100, "w1");  // placed
  // Unsure, or a hand: nothing to name yet.
  EXPECT_FALSE(s.on_predictions(preds({{"banana", 0.4}, {"lemon", 0.35}}), 1150, true));
  EXPECT_FALSE(s.on_predictions(preds({{"hand", 0.9}}), 1160, true));
  auto named = s.on_predictions(preds({{"banana", 0.9}}), 1200, true);
  ASSERT_TRUE(named);
  EXPECT_EQ(named->kind, ce::ScanDecision::Kind::Named);
  EXPECT_EQ(named->candidates.at(0).product->id, "4011");
  EXPECT_EQ(named->placed_ms, 1100);
  EXPECT_FALSE(s.on_predictions(preds({{"banana", 0.92}}), 1250, true)) << "named once";
  // An ungated frame shows a scene that may still move: never named from it.
  ce::ScanSession t(cat, {});
  t.on_weight(150, false, 1100, "w1");
  EXPECT_FALSE(t.on_predictions(preds({{"banana", 0.9}}), 1200, false));
  // The weight then decides, from the same still scene.
  auto d = s.on_weight(420, true, 1500, "w2");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, ce::ScanDecision::Kind::Recognised);
  EXPECT_EQ(d->placed_ms, 1100);
  // Taken off and placed again: a new placement is named again.
  s.on_weight(0, true, 2000, "w3");
  s.on_weight(200, false, 2100, "w4");
  named = s.on_predictions(preds({{"banana", 0.9}}), 2200, true);
  ASSERT_TRUE(named);
  EXPECT_EQ(named->kind, ce::ScanDecision::Kind::Named);
}

TEST(ScanSession, TheWeightReRanksWhatTheImageSaid) {
  ce::Catalogue cat;
  ce::Product lemon{"4053", "Lemon", {"lemon"}, ce::SoldBy::Weight, 399};
  lemon.min_grams = 40, lemon.max_grams = 1500;
  ce::Product melon{"4032", "Watermelon", {"melon"}, ce::SoldBy::Weight, 199};
  melon.min_grams = 1000, melon.max_grams = 12000;
  cat.products = {lemon, melon};
  ce::ScanSettings settings;
  settings.threshold = 0.5;
  ce::ScanSession s(cat, settings);
  // 3 kg: the image's "lemon" is ruled out by the weight; the melon is not.
  s.on_weight(3000, true, 10, "a");
  auto d = s.on_predictions(preds({{"lemon", 0.6}, {"melon", 0.3}}), 20);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, ScanDecision::Kind::Recognised);
  EXPECT_EQ(d->candidates[0].product->name, "Watermelon");
  // What the image gave the catalogue's products stays theirs: 0.9 in all.
  EXPECT_NEAR(d->candidates[0].probability + d->candidates[1].probability, 0.9, 1e-9);
  EXPECT_LT(d->candidates[1].probability, 0.05);
  // 1.2 kg, plausible for both: the image is believed.
  s.on_weight(0, true, 30, "b");
  s.on_weight(1200, true, 40, "c");
  d = s.on_predictions(preds({{"lemon", 0.6}, {"melon", 0.3}}), 50);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->candidates[0].product->name, "Lemon");
  EXPECT_NEAR(d->candidates[0].probability, 0.6, 1e-9);
}

TEST(ScanSession, AcceptsAtTheRiskItIsSetToFromTheModelsCurve) {
  auto cat = catalogue();
  ce::ScanSettings settings;
  settings.threshold = 0.5;
  settings.accept_risk = 0.01;
  ce::ScanSession s(cat, settings);
  json curve = {{"0.005", 0.97}, {"0.01", 0.9}, {"0.02", 0.8}, {"0.05", 0.6}};
  EXPECT_DOUBLE_EQ(s.threshold_for(curve), 0.9);
  EXPECT_DOUBLE_EQ(s.threshold_for(json::object()), 0.5) << "no curve: the threshold setting";
  // 0.85 is above `threshold` but not enough for 1% risk: a question.
  s.on_weight(400, true, 10, "a");
  auto d = s.on_predictions(preds({{"banana", 0.85}}), 20, false, curve);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, ScanDecision::Kind::NotRecognised);
  s.on_weight(0, true, 30, "b");
  s.on_weight(400, true, 40, "c");
  d = s.on_predictions(preds({{"banana", 0.92}}), 50, false, curve);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, ScanDecision::Kind::Recognised);
  // A lane that accepts 2% takes 0.85; one set below every level asks always.
  settings.accept_risk = 0.02;
  s.set_settings(settings);
  EXPECT_DOUBLE_EQ(s.threshold_for(curve), 0.8);
  settings.accept_risk = 0.001;
  s.set_settings(settings);
  EXPECT_DOUBLE_EQ(s.threshold_for(curve), 1.0);
  settings.accept_risk = -1;  // acceptRisk null: the threshold alone
  s.set_settings(settings);
  EXPECT_DOUBLE_EQ(s.threshold_for(curve), 0.5);
  // A hand is not an item however sure the lane must be to ring one up.
  settings.accept_risk = 0.001;  // nothing is sure enough: threshold 1
  s.set_settings(settings);
  s.on_weight(0, true, 60, "d");
  s.on_weight(400, true, 70, "e");
  EXPECT_FALSE(s.on_predictions(preds({{"hand", 0.9}, {"banana", 0.1}}), 80, false, curve));
  // Garbage in the curve is skipped, not trusted.
  settings.accept_risk = 0.01;
  s.set_settings(settings);
  EXPECT_DOUBLE_EQ(s.threshold_for(json{{"x", 0.1}, {"0.01", "high"}, {"0.005", 7}}), 1.0);
}

TEST(ScanSession, SureOfTheGroupButNotTheVarietyAsksAboutTheGroup) {
  ce::Catalogue cat;
  cat.products.push_back({"4017", "Granny Smith", {"granny"}, ce::SoldBy::Weight, 449});
  cat.products.push_back({"4130", "Pink Lady", {"pink"}, ce::SoldBy::Weight, 399});
  cat.products.push_back({"4053", "Lemon", {"lemon"}, ce::SoldBy::Weight, 399});
  cat.products[0].group = cat.products[1].group = "apple";
  ce::ScanSession s(cat, {});  // threshold 0.5
  s.on_weight(200, true, 10, "w1");
  auto d = s.on_predictions(preds({{"granny", 0.35}, {"pink", 0.3}, {"lemon", 0.3}}), 20);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, ScanDecision::Kind::NotRecognised);
  EXPECT_EQ(d->group, "apple");  // 0.65 of apples
  s.on_weight(0, true, 30, "w2");
  s.on_weight(200, true, 40, "w3");
  d = s.on_predictions(preds({{"granny", 0.3}, {"lemon", 0.3}, {"pink", 0.15}}), 50);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->group, "") << "0.45 of apples: not sure it is one";
  // One variety alone is no group to ask about.
  cat.products[1].group.clear();
  s.on_weight(0, true, 60, "w4");
  s.on_weight(200, true, 70, "w5");
  d = s.on_predictions(preds({{"granny", 0.45}, {"pink", 0.3}}), 80);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->group, "");
}

TEST(ScanSession, WhatTheLaneSawAProductWeighReRanksLikeTheCatalogueRange) {
  // The catalogue allows a lemon up to 1.5 kg; this lane has only ever sold
  // lemons of 90 to 140 g, and melons of 1 to 2 kg.
  ce::Catalogue cat;
  cat.products.push_back({"4053", "Lemon", {"lemon"}, ce::SoldBy::Weight, 399});
  cat.products.push_back({"4032", "Melon", {"melon"}, ce::SoldBy::Weight, 199});
  cat.products[0].max_grams = 1500;
  ce::ScanSession s(cat, {});
  auto seen = [](const ce::Product& p) {
    return p.id == "4053" ? std::vector<int>{90, 120, 140, 100, 110}
                          : std::vector<int>{1000, 1500, 2000, 1200, 1800};
  };
  auto decide = [&](int grams) {
    s.on_weight(0, true, 0, "w0");
    s.on_weight(grams, true, 10, "w" + std::to_string(grams));
    return s.on_predictions(preds({{"lemon", 0.6}, {"melon", 0.3}}), 20);
  };
  // Without the history, 900 g is a lemon (the catalogue allows it).
  auto d = decide(900);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->candidates[0].product->id, "4053");
  s.set_weights_seen(seen);
  d = decide(900);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->candidates[0].product->id, "4032") << "no lemon this lane sold came near 900 g";
  // A lemon's weight stays a lemon.
  d = decide(120);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->candidates[0].product->id, "4053");
  // Too few weights seen say nothing.
  s.set_weights_seen([](const ce::Product&) { return std::vector<int>{100, 100}; });
  d = decide(900);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->candidates[0].product->id, "4053");
}

// A placement ends in a decision or in being told it was not added.
TEST(ScanSession, AnItemLiftedAfterItSettledButBeforeItWasDecidedIsLifted) {
  auto cat = catalogue();
  ce::ScanSession s(cat, {});
  s.on_weight(0, true, 1000, "w0");
  s.on_weight(300, false, 1100, "w1");
  EXPECT_FALSE(s.on_weight(0, true, 1150, "w2")) << "never settled: nothing to say";
  s.on_weight(420, true, 1200, "w3");
  ASSERT_TRUE(s.waiting());
  EXPECT_EQ(s.waiting()->scan_id, "w3");
  auto lifted = s.on_weight(0, true, 1900, "w4");  // no frame came in time
  ASSERT_TRUE(lifted);
  EXPECT_EQ(lifted->kind, ScanDecision::Kind::Lifted);
  EXPECT_EQ(lifted->scan_id, "w3");
  EXPECT_EQ(lifted->grams, 420);
  // Decided, then lifted: nothing more.
  s.on_weight(420, true, 2000, "w5");
  ASSERT_TRUE(s.on_predictions(preds({{"banana", 0.9}}), 2050));
  EXPECT_FALSE(s.waiting());
  EXPECT_FALSE(s.on_weight(0, true, 2500, "w6"));
  // Its name said ahead of the weight, then lifted while it swung.
  s.on_weight(300, false, 3000, "w7");
  auto named = s.on_predictions(preds({{"banana", 0.9}}), 3050, true);
  ASSERT_TRUE(named);
  EXPECT_EQ(named->kind, ScanDecision::Kind::Named);
  lifted = s.on_weight(0, true, 3200, "w8");
  ASSERT_TRUE(lifted);
  EXPECT_EQ(lifted->kind, ScanDecision::Kind::Lifted);
}

TEST(ScanSession, APlacementKeptAcrossARestartIsDecidedIfStillThereAndLiftedIfGone) {
  auto cat = catalogue();
  {
    ce::ScanSession s(cat, {});
    s.resume_placement(420, "w3", 1200);
    s.on_weight(420, true, 5000, "w9");
    auto d = s.on_predictions(preds({{"banana", 0.9}}), 5100);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->scan_id, "w3") << "the same placement, not a new one";
  }
  ce::ScanSession s(cat, {});
  s.resume_placement(420, "w3", 1200);
  auto lifted = s.on_weight(0, true, 5000, "w9");
  ASSERT_TRUE(lifted);
  EXPECT_EQ(lifted->kind, ScanDecision::Kind::Lifted);
}
