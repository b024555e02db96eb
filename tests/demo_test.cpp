// The README's demo, as a user runs it: it trains its model once, then rings
// up real store photos on the simulated scale.
#include <gtest/gtest.h>

#include "file_mirror.h"
#include "test_support.h"

using namespace ce::testing_support;

// A clone with no ../shared: the demo names what it lacks while the origins
// are out of reach, then fetches its files (from a local server standing in
// for them), checks them and runs; the next run uses ../shared.
TEST(Demo, TrainsItsModelOnceAndRingsUpTheItems) {
  fs::path state = fs::path(testing::TempDir()) / ("demo-" + std::to_string(getpid()));
  fs::remove_all(state);
  fs::path cache = state.string() + "-cache";
  fs::remove_all(cache);
  std::string demo = "CHECKOUT_EDGE_CACHE=" + cache.string() + " " + CE_BINARY + " --state-dir " +
                     state.string() + " demo --shared " + state.string() + "/no-shared-here";
  int status = -1;
  std::string out =
      run("CHECKOUT_EDGE_ASSET_MIRROR=http://127.0.0.1:9 " + demo + " --items 4 2>&1", &status);
  EXPECT_NE(status, 0) << out;
  EXPECT_NE(out.find("231 of the shared files the demo needs are in neither"), std::string::npos)
      << out;
  EXPECT_NE(out.find("datasets/grocery-store/train/Fruit/Apple/Granny-Smith/Granny-Smith_001.jpg "
                     "(from https://raw.githubusercontent.com/marcusklasson/GroceryStoreDataset/"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("and 221 more (`checkout-edge assets check --for demo` lists them all)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("not tried, the servers before it could not be reached"), std::string::npos)
      << out;
  EXPECT_NE(out.find("checkout-edge assets fetch --for demo"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(state / "models/demo-grocery")) << out;

  FileMirror origin(shared_dir());
  out = run("CHECKOUT_EDGE_ASSET_MIRROR=" + origin.url() + " " + demo + " --items 4 2>&1", &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("fetching them into " + cache.string()), std::string::npos) << out;
  EXPECT_EQ(ce::read_file(cache / "shared/datasets/grocery-store/val/Fruit/Banana/Banana_001.jpg"),
            ce::read_file(fs::path(shared_dir()) /
                          "datasets/grocery-store/val/Fruit/Banana/Banana_001.jpg"));
  EXPECT_NE(out.find("Training the demo's model"), std::string::npos) << out;
  json package = json::parse(ce::read_file(state / "models/demo-grocery/package.json"));
  EXPECT_EQ(package["name"], "demo-grocery");
  EXPECT_EQ(package["training"]["data"]["tags"], 6);
  std::string basket = out.substr(out.find("\nBasket"));
  for (const char* product : {"Banana", "Granny Smith apple", "Lemon", "Orange bell pepper"})
    EXPECT_NE(basket.find(product), std::string::npos) << product << " missing from\n" << out;
  EXPECT_NE(basket.find("Total"), std::string::npos) << out;
  // The shopper's screen, served while the demo runs.
  EXPECT_NE(out.find("The kiosk's screen: http://127.0.0.1:"), std::string::npos) << out;
  // Every announcement made sound (the speech module's "started" is not one).
  EXPECT_EQ(out.find("were silent"), std::string::npos) << out;

  // The next run uses the package it made.
  out = run(std::string(CE_BINARY) + " --state-dir " + state.string() +
                " demo --items 1 --shared " + shared_dir() + " 2>&1",
            &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(out.find("Training the demo's model"), std::string::npos) << out;
  EXPECT_NE(out.find("Banana"), std::string::npos) << out;
}
