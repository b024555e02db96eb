// Numbers from outside that once crashed, wrapped around or were believed:
// each parser refuses them with a message naming the file, line and field.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "modules/checkout/catalogue.h"
#include "modules/checkout/pricing.h"
#include "modules/modules.h"
#include "modules/scale/hid_pos.h"
#include "modules/scale/scale_driver.h"
#include "modules/scale/toledo_8213.h"
#include "runtime/manifest.h"
#include "sim/scenario.h"

namespace {

std::string write(const std::string& name, const std::string& text) {
  std::string path = testing::TempDir() + "/limits-" + std::to_string(getpid()) + "-" + name;
  std::ofstream(path) << text;
  return path;
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

TEST(InputLimits, AHugeNumberNamesTheFileLineAndField) {
  std::string catalogue = write("catalogue.json", R"({"currency": "USD", "products": [
    {"id": "1", "name": "Banana", "tags": ["banana"],
     "pricePerKg": 1e400}]})");
  std::string e = error_of([&] { ce::Catalogue::load(catalogue); });
  EXPECT_NE(e.find(catalogue), std::string::npos) << e;
  EXPECT_NE(e.find("line 3"), std::string::npos) << e;
  EXPECT_NE(e.find("'pricePerKg'"), std::string::npos) << e;
  EXPECT_NE(e.find("1e400"), std::string::npos) << e;
  EXPECT_EQ(e.find("json.exception"), std::string::npos) << "not the library's bare words: " << e;

  std::string scenario = write("scenario.json", "{\"itemMs\": 1e400, \"items\": []}");
  e = error_of([&] { ce::Scenario::load(scenario); });
  EXPECT_NE(e.find("'itemMs'"), std::string::npos) << e;

  std::string manifest = write("manifest.json", "{\n\"modulesContent\": {\"x\": 1e400}}");
  e = error_of([&] { ce::read_manifest_file(manifest); });
  EXPECT_NE(e.find("line 2"), std::string::npos) << e;
  EXPECT_NE(e.find("'x'"), std::string::npos) << e;

  // A price too large to multiply by a weight, and a deep nest.
  e = error_of([&] {
    ce::Catalogue::load(write("big.json", R"({"products": [{"id": "1", "name": "B",
      "tags": ["b"], "pricePerKg": 99999999999999999}]})"));
  });
  EXPECT_NE(e.find("pricePerKg"), std::string::npos) << e;
  std::string deep = write("deep.json", std::string(5000, '[') + std::string(5000, ']'));
  e = error_of([&] { ce::read_manifest_file(deep); });
  EXPECT_NE(e.find("nested more than"), std::string::npos) << e;
}

TEST(InputLimits, PriceArithmeticCannotOverflow) {
  EXPECT_EQ(ce::price_by_weight(299, 420, ce::Rounding::HalfUp), 126);
  EXPECT_THROW(ce::price_by_weight(1LL << 40, 1LL << 30, ce::Rounding::HalfUp),
               std::overflow_error);
}

TEST(InputLimits, AbsurdScaleFramesAreFaultsNotWeights) {
  // 15 digits of kilograms overflowed the conversion to milligrams.
  EXPECT_FALSE(ce::to_milligrams("999999999999999", "kg"));
  EXPECT_FALSE(ce::toledo_8213::parse("999999999999999", "kg"));
  EXPECT_EQ(ce::to_milligrams("0.420", "kg"), 420000);
  // HID POS: an exponent of 127 reached LLONG_MIN.
  EXPECT_FALSE(ce::hid_pos::decode({0x03, 0x04, 2, 127, 0xff, 0xff}));
  EXPECT_FALSE(ce::hid_pos::decode({0x03, 0x04, 2, 0x80, 0xff, 0xff}));
  auto ok = ce::hid_pos::decode({0x03, 0x04, 2, 0xff, 0x10, 0x00});  // 16 x 10^-1 g
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->milligrams, 1600);
  // Whatever a driver decoded is judged against the scale's capacity.
  long long capacity = 30'000'000;
  auto judged = [&](long long mg) {
    return ce::within_capacity({mg, ce::ScaleStatus::Ok, true}, capacity).status;
  };
  EXPECT_EQ(judged(420000), ce::ScaleStatus::Ok);
  EXPECT_EQ(judged(4'800'000'000'000'000'000LL), ce::ScaleStatus::Fault);
  EXPECT_EQ(judged(35'000'000), ce::ScaleStatus::Overload);
  EXPECT_EQ(judged(-5000), ce::ScaleStatus::UnderZero) << "a negative weight is never ok";
}

TEST(InputLimits, SettingsSayWhatIsWrongWithThem) {
  auto scale = [](nlohmann::json d) { return error_of([&] { ce::ScaleSettings::from(d); }); };
  std::string e = scale({{"driver", "nosuch"}});
  EXPECT_NE(e.find("'driver' is 'nosuch'"), std::string::npos) << e;
  EXPECT_EQ(e.find("device"), std::string::npos) << "the driver is what is wrong: " << e;
  EXPECT_NE(scale({{"driver", "mt-sics"}}).find("'device' is missing"), std::string::npos);
  EXPECT_NE(scale({{"driver", "mt-sics"}, {"device", "/dev/ttyUSB0"}, {"baud", 1234}}).find("baud"),
            std::string::npos);
  EXPECT_NE(scale({{"steps", {{1000, 0}}}, {"hz", 1e10}}).find("'hz'"), std::string::npos);

  auto classifier = [](nlohmann::json d) {
    return error_of([&] { ce::check_classifier_settings(d); });
  };
  e = classifier({{"model", "/nonexistent"}, {"restPort", 70000}});
  EXPECT_NE(e.find("'restPort' must be 0 to 65535"), std::string::npos) << e;
  e = classifier({{"model", "/nonexistent"}, {"instances", 2.5}});
  EXPECT_NE(e.find("'instances' must be a whole number"), std::string::npos) << e;
  e = error_of([] { ce::check_builtin_settings("keypad", nlohmann::json::object()); });
  EXPECT_NE(e.find("'device' is missing"), std::string::npos) << e;
  e = error_of([] { ce::check_builtin_settings("barcodes", {{"symbologies", {"EAN-13", "QR"}}}); });
  EXPECT_NE(e.find("'symbologies' lists \"QR\""), std::string::npos) << e;
  EXPECT_NO_THROW(ce::check_builtin_settings("barcodes", nlohmann::json::object()));
  e = error_of([] {
    ce::check_builtin_settings("scanner", {{"device", "/dev/ttyACM0"}, {"baud", 7}});
  });
  EXPECT_NE(e.find("'baud' must be"), std::string::npos) << e;
  e = error_of([] {
    ce::check_builtin_settings("scanner", {{"device", "/dev/x"}, {"interface", "usb"}});
  });
  EXPECT_NE(e.find("\"keyboard\" or \"serial\""), std::string::npos) << e;
}

}  // namespace
