// The scale protocols, parsed from real reply shapes, and the drivers
// driven through a pseudo-terminal or a FIFO that behaves like the device,
// malformed and partial frames included.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "common/serial_port.h"
#include "common/settings.h"
#include "fake_serial_device.h"
#include "modules/scale/hid_pos.h"
#include "modules/scale/mt_sics.h"
#include "modules/scale/placements.h"
#include "modules/scale/scale_driver.h"
#include "modules/scale/toledo_8213.h"

using namespace std::chrono_literals;
using ce::ScaleStatus;

TEST(Weight, ParsesDecimalWeightsIntoExactMilligrams) {
  EXPECT_EQ(ce::to_milligrams("0.420", "kg"), 420000);
  EXPECT_EQ(ce::to_milligrams("   420", "g"), 420000);
  EXPECT_EQ(ce::to_milligrams("-0.005", "kg"), -5000);
  EXPECT_EQ(ce::to_milligrams("0.1234567", "kg"), 123456);  // below a milligram is cut
  EXPECT_EQ(ce::to_milligrams("1.5", "lb"), 680389);
  EXPECT_EQ(ce::to_milligrams("2", "oz"), 56699);
  EXPECT_FALSE(ce::to_milligrams("", "kg"));
  EXPECT_FALSE(ce::to_milligrams("1.2.3", "kg"));
  EXPECT_FALSE(ce::to_milligrams("12a", "kg"));
  EXPECT_FALSE(ce::to_milligrams("1", "stone"));
}

TEST(MtSics, ReadsWeightsStatesAndErrors) {
  using Kind = ce::mt_sics::Reply::Kind;
  auto r = ce::mt_sics::parse("S S      0.420 kg\r\n");
  EXPECT_EQ(r.kind, Kind::Weight);
  EXPECT_EQ(r.reading.milligrams, 420000);
  EXPECT_TRUE(r.reading.stable);
  r = ce::mt_sics::parse("SI D     418.5 g");
  EXPECT_EQ(r.reading.milligrams, 418500);
  EXPECT_FALSE(r.reading.stable);
  EXPECT_EQ(r.reading.status, ScaleStatus::Motion);
  EXPECT_EQ(ce::mt_sics::parse("S +").kind, Kind::Overload);
  EXPECT_EQ(ce::mt_sics::parse("S -").reading.status, ScaleStatus::UnderZero);
  EXPECT_EQ(ce::mt_sics::parse("S I").kind, Kind::NotNow);
  EXPECT_EQ(ce::mt_sics::parse("Z A").kind, Kind::Done);
  EXPECT_EQ(ce::mt_sics::parse("T S      0.100 kg").kind, Kind::Done);
  EXPECT_EQ(ce::mt_sics::parse("ES").kind, Kind::Error);
  EXPECT_NE(ce::mt_sics::parse("ES").text.find("did not understand"), std::string::npos);
  for (const char* bad : {"", "S S", "S S 0.4x kg", "S S 0.4 kg extra", "X S 1 kg", "S Q 1 kg"})
    EXPECT_EQ(ce::mt_sics::parse(bad).kind, Kind::Error) << bad;
}

TEST(Toledo8213, ReadsWeightAndStatusRecords) {
  auto w = ce::toledo_8213::parse("01.250", "kg");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->milligrams, 1250000);
  EXPECT_TRUE(w->stable);
  auto status = [](int bits) { return std::string("?") + static_cast<char>(0x60 | bits); };
  EXPECT_EQ(ce::toledo_8213::parse(status(ce::toledo_8213::kMotion), "kg")->status,
            ScaleStatus::Motion);
  EXPECT_EQ(ce::toledo_8213::parse(status(ce::toledo_8213::kOverCapacity), "kg")->status,
            ScaleStatus::Overload);
  EXPECT_EQ(ce::toledo_8213::parse(status(ce::toledo_8213::kUnderZero), "kg")->status,
            ScaleStatus::UnderZero);
  // Bit 7 is parity and does not change the meaning.
  EXPECT_EQ(ce::toledo_8213::parse(std::string("?") + static_cast<char>(0xE1), "kg")->status,
            ScaleStatus::Motion);
  EXPECT_FALSE(ce::toledo_8213::parse("?", "kg"));
  EXPECT_FALSE(ce::toledo_8213::parse(std::string("?") + '\x01', "kg"));  // bits 5, 6 unset
  EXPECT_FALSE(ce::toledo_8213::parse("", "kg"));
  EXPECT_FALSE(ce::toledo_8213::parse("1.2x", "kg"));
}

TEST(HidPos, DecodesStatusUnitExponentAndWeight) {
  // 4200 x 10^-1 g, stable.
  auto r = ce::hid_pos::decode({0x03, 0x04, 0x02, 0xFF, 0x68, 0x10});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->milligrams, 420000);
  EXPECT_TRUE(r->stable);
  r = ce::hid_pos::decode({0x03, 0x03, 0x03, 0xFD, 0xE2, 0x04});  // 1250 x 10^-3 kg, moving
  EXPECT_EQ(r->milligrams, 1250000);
  EXPECT_EQ(r->status, ScaleStatus::Motion);
  r = ce::hid_pos::decode({0x03, 0x04, 0x0C, 0xFE, 0x96, 0x00});  // 1.50 lb
  EXPECT_EQ(r->milligrams, 680389);
  EXPECT_EQ(ce::hid_pos::decode({0x03, 0x02, 0x02, 0x00, 0x00, 0x00})->milligrams, 0);
  EXPECT_EQ(ce::hid_pos::decode({0x03, 0x05, 0x02, 0x00, 0, 0})->status, ScaleStatus::UnderZero);
  EXPECT_EQ(ce::hid_pos::decode({0x03, 0x06, 0x02, 0x00, 0, 0})->status, ScaleStatus::Overload);
  EXPECT_EQ(ce::hid_pos::decode({0x03, 0x08, 0x02, 0x00, 0, 0})->status, ScaleStatus::Fault);
  EXPECT_FALSE(ce::hid_pos::decode({0x01, 0x04, 0x02, 0x00, 0, 0}));  // not a weight report
  EXPECT_FALSE(ce::hid_pos::decode({0x03, 0x04, 0x02}));              // short
  EXPECT_FALSE(ce::hid_pos::decode({0x03, 0x04, 0x09, 0x00, 0, 0}));  // unknown unit
}

TEST(StabilityFilter, StableOnlyAfterTheWindowWithinOneDivision) {
  ce::StabilityFilter f(5000, 300ms);
  EXPECT_FALSE(f.stable(420000, 0));
  EXPECT_FALSE(f.stable(423000, 100));
  EXPECT_FALSE(f.stable(421000, 200));
  EXPECT_TRUE(f.stable(422000, 300));
  EXPECT_FALSE(f.stable(440000, 400));  // jumped by more than a division
  EXPECT_FALSE(f.stable(440000, 600));
  EXPECT_TRUE(f.stable(440500, 750));
}

TEST(ScaleDrivers, MtSicsOverASerialLine) {
  int reads = 0;
  ce::testing_support::FakeSerialDevice device(
      '\n', [&](const std::string& command) -> std::vector<std::string> {
        if (command == "SI\r\n") {
          switch (reads++) {
            case 0:
              return {"S D      0.300 kg\r\n"};
            case 1:
              return {"#!garbage\r\n"};
            case 2:
              return {"S S    ", "  0.420 kg\r\n"};  // one reply in two pieces
            default:
              return {"S +\r\n"};
          }
        }
        if (command == "Z\r\n") return {"Z A\r\n"};
        if (command == "T\r\n") return {"T I\r\n"};
        return {"ES\r\n"};
      });
  auto scale = ce::open_scale({{"driver", "mt-sics"}, {"device", device.path()}});
  auto r = scale->read();
  EXPECT_EQ(r.status, ScaleStatus::Motion);
  EXPECT_EQ(r.milligrams, 300000);
  EXPECT_EQ(scale->read().status, ScaleStatus::Fault);
  r = scale->read();
  EXPECT_EQ(r.status, ScaleStatus::Ok);
  EXPECT_EQ(r.milligrams, 420000);
  EXPECT_TRUE(r.stable);
  EXPECT_EQ(scale->read().status, ScaleStatus::Overload);
  EXPECT_TRUE(scale->zero());
  EXPECT_FALSE(scale->tare());  // "T I": not now
  device.unplug();
  EXPECT_THROW(scale->read(), ce::DeviceGone);
}

TEST(ScaleDrivers, Toledo8213OverASerialLine) {
  int reads = 0;
  const std::string stx = "\x02", cr = "\r";
  ce::testing_support::FakeSerialDevice device(
      0, [&](const std::string& command) -> std::vector<std::string> {
        if (command == "W") {
          switch (reads++) {
            case 0:
              return {stx + "?" + "\x61" + cr};  // in motion
            case 1:
              return {"\x13\x11", stx + "01.", "250" + cr};  // line noise, then a split frame
            case 2:
              return {stx + "1.2x" + cr};  // malformed
            default:
              return {stx + "?" + "\x62" + cr};  // over capacity
          }
        }
        if (command == "Z") return {stx + "?" + "\x70" + cr};  // centre of zero
        return {};
      });
  auto scale =
      ce::open_scale({{"driver", "toledo-8213"}, {"device", device.path()}, {"framing", "8N1"}});
  EXPECT_EQ(scale->read().status, ScaleStatus::Motion);
  auto r = scale->read();
  EXPECT_EQ(r.milligrams, 1250000);
  EXPECT_TRUE(r.stable);
  EXPECT_EQ(scale->read().status, ScaleStatus::Fault);
  EXPECT_EQ(scale->read().status, ScaleStatus::Overload);
  EXPECT_TRUE(scale->zero());
  EXPECT_THROW(scale->tare(), std::logic_error);  // the protocol has no tare
  device.unplug();
  EXPECT_THROW(scale->read(), ce::DeviceGone);
}

TEST(ScaleDrivers, HidPosFromAReportStream) {
  std::string path = testing::TempDir() + "/hidraw-" + std::to_string(getpid());
  unlink(path.c_str());
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  int writer = -1;
  std::thread opener([&] { writer = open(path.c_str(), O_WRONLY); });
  auto scale = ce::open_scale({{"driver", "hid-pos"}, {"device", path}});
  opener.join();
  auto send = [&](std::vector<uint8_t> bytes) {
    ASSERT_EQ(write(writer, bytes.data(), bytes.size()), (ssize_t)bytes.size());
  };
  send({0x03, 0x03, 0x02, 0x00, 0x2C, 0x01});  // 300 g, moving
  EXPECT_EQ(scale->read().status, ScaleStatus::Motion);
  send({0xAA});  // a stray byte: the driver finds the next report
  send({0x03, 0x04, 0x02});
  send({0xFF, 0x68, 0x10});  // 420.0 g stable, in two pieces
  auto r = scale->read();
  EXPECT_EQ(r.milligrams, 420000);
  EXPECT_TRUE(r.stable);
  EXPECT_THROW(scale->zero(), std::logic_error);
  close(writer);
  EXPECT_THROW(scale->read(), ce::DeviceGone);
  unlink(path.c_str());
}

TEST(ScaleDrivers, BadSettingsAndMissingDevicesSayWhatIsWrong) {
  EXPECT_THROW(ce::open_scale({{"driver", "mt-sics"}, {"device", "/dev/ttyNOPE9"}}),
               ce::DeviceGone);
  try {
    ce::open_scale({{"driver", "mt-sics"}, {"device", "/dev/ttyNOPE9"}});
  } catch (const ce::DeviceGone& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/ttyNOPE9"), std::string::npos);
  }
  EXPECT_THROW(ce::open_scale({{"driver", "weighbridge"}, {"device", "/dev/null"}}),
               ce::SettingError);
  EXPECT_THROW(ce::open_scale({{"driver", "mt-sics"}}), ce::SettingError);  // no device
  EXPECT_THROW(ce::open_scale({{"driver", "toledo-8213"}, {"device", "/dev/null"}, {"unit", "st"}}),
               ce::SettingError);
  EXPECT_THROW(ce::open_scale({{"driver", "mt-sics"}, {"device", "/dev/null"}, {"baud", 12345}}),
               ce::SettingError);
}

TEST(PlacementCount, CountsEachItemPlacedOnAnEmptyScaleOnceItIsStill) {
  using ce::ScaleStatus;
  ce::PlacementCount count("run");
  EXPECT_EQ(count.after({0, ScaleStatus::Ok, true}), 0);
  EXPECT_EQ(count.after({300000, ScaleStatus::Motion, false}), 0) << "still swinging";
  EXPECT_EQ(count.after({420000, ScaleStatus::Ok, true}), 1);
  EXPECT_TRUE(count.holding());
  EXPECT_EQ(count.after({420000, ScaleStatus::Ok, true}), 1) << "the same item";
  EXPECT_EQ(count.after({900000, ScaleStatus::Ok, true}), 1) << "added on top: not emptied";
  EXPECT_EQ(count.after({0, ScaleStatus::Disconnected, false}), 1) << "no reading, no change";
  EXPECT_EQ(count.after({2000, ScaleStatus::Ok, false}), 1);
  EXPECT_FALSE(count.holding());
  EXPECT_EQ(count.after({420000, ScaleStatus::Ok, true}), 2);
  EXPECT_EQ(count.run(), "run");
}

TEST(PlacementCount, GoesOnFromTheCountKeptBeforeARestart) {
  using ce::ScaleStatus;
  namespace fs = std::filesystem;
  fs::path file = fs::path(testing::TempDir()) / "placements-kept.json";
  fs::remove(file);
  {
    ce::PlacementCount first("first");
    first.keep_in(file);
    first.after({420000, ScaleStatus::Ok, true});
    first.after({0, ScaleStatus::Ok, true});
    EXPECT_EQ(first.after({420000, ScaleStatus::Ok, true}), 2);
  }
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::others_read, fs::perms::none);
  ce::PlacementCount again("second");
  again.keep_in(file);
  EXPECT_EQ(again.run(), "first") << "the same run goes on";
  EXPECT_TRUE(again.holding());
  EXPECT_EQ(again.after({420000, ScaleStatus::Ok, true}), 2) << "the item still there";
  again.after({0, ScaleStatus::Ok, true});
  EXPECT_EQ(again.after({300000, ScaleStatus::Ok, true}), 3);

  std::ofstream(file) << "{not json";
  ce::PlacementCount damaged("third");
  damaged.keep_in(file);
  EXPECT_EQ(damaged.run(), "third") << "a count it cannot read is a new run";
  EXPECT_EQ(damaged.after({420000, ScaleStatus::Ok, true}), 1);
}
