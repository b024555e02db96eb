// The README's demo, as a user runs it: it trains its model once, then rings
// up real store photos on the simulated scale.
#include <gtest/gtest.h>

#include "test_support.h"

using namespace ce::testing_support;

TEST(Demo, TrainsItsModelOnceAndRingsUpTheItems) {
  fs::path state = fs::path(testing::TempDir()) / ("demo-" + std::to_string(getpid()));
  fs::remove_all(state);
  std::string cmd = std::string(CE_BINARY) + " --state-dir " + state.string() +
                    " demo --items 4 --shared " + shared_dir() + " 2>&1";
  int status = -1;
  std::string out = run(cmd, &status);
  ASSERT_EQ(status, 0) << out;
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
