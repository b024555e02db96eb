#include "modules/scale/scale_driver.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>

#include "checkout-edge/module.h"
#include "common/serial_port.h"
#include "common/settings.h"
#include "modules/scale/hid_pos.h"
#include "modules/scale/mt_sics.h"
#include "modules/scale/toledo_8213.h"
#include "sim/scenario.h"

namespace ce {

bool ScaleDriver::zero() { throw std::logic_error("this scale cannot be zeroed from the lane"); }
bool ScaleDriver::tare() { throw std::logic_error("this scale cannot be tared from the lane"); }

bool StabilityFilter::stable(long long mg, long long now) {
  readings_.emplace_back(now, mg);
  while (readings_.size() > 1 && now - readings_[1].first >= window_ms_) readings_.pop_front();
  if (now - readings_.front().first < window_ms_) return false;  // not watched long enough
  auto [lo, hi] = std::minmax_element(readings_.begin(), readings_.end(),
                                      [](auto& a, auto& b) { return a.second < b.second; });
  return hi->second - lo->second <= division_mg_;
}

namespace {

// How long a scale may take to answer before it counts as gone.
constexpr std::chrono::milliseconds kReplyTimeout{1000};

class MtSicsScale : public ScaleDriver {
 public:
  MtSicsScale(const std::string& device, int baud, const std::string& framing)
      : port_(device, baud, framing) {}
  WeightReading read() override {
    mt_sics::Reply r = ask(mt_sics::kWeightNow);
    switch (r.kind) {
      case mt_sics::Reply::Kind::Weight:
      case mt_sics::Reply::Kind::Overload:
      case mt_sics::Reply::Kind::Underload:
        return r.reading;
      case mt_sics::Reply::Kind::NotNow:
        return {0, ScaleStatus::Motion, false};
      default:
        return {0, ScaleStatus::Fault, false};
    }
  }
  bool zero() override { return ask(mt_sics::kZero).kind == mt_sics::Reply::Kind::Done; }
  bool tare() override { return ask(mt_sics::kTare).kind == mt_sics::Reply::Kind::Done; }
  std::string describe() const override { return "MT-SICS scale on " + port_.path(); }

 private:
  mt_sics::Reply ask(const char* command) {
    port_.discard_input();
    port_.write(command);
    auto line = port_.read_until('\n', kReplyTimeout);
    if (!line) throw DeviceGone("the MT-SICS scale on " + port_.path() + " does not answer");
    return mt_sics::parse(*line);
  }
  SerialPort port_;
};

class Toledo8213Scale : public ScaleDriver {
 public:
  Toledo8213Scale(const std::string& device, int baud, const std::string& framing, std::string unit)
      : port_(device, baud, framing), unit_(std::move(unit)) {}
  WeightReading read() override {
    auto r = toledo_8213::parse(ask(toledo_8213::kWeigh), unit_);
    return r ? *r : WeightReading{0, ScaleStatus::Fault, false};
  }
  bool zero() override {
    auto r = toledo_8213::parse(ask(toledo_8213::kZero), unit_);
    return r && r->status != ScaleStatus::Motion && r->status != ScaleStatus::Overload &&
           r->status != ScaleStatus::UnderZero;
  }
  std::string describe() const override { return "Toledo 8213 scale on " + port_.path(); }

 private:
  // The frame between STX and CR; bytes before STX are line noise.
  std::string ask(const char* command) {
    port_.discard_input();
    port_.write(command);
    auto reply = port_.read_until(toledo_8213::kCr, kReplyTimeout);
    if (!reply) throw DeviceGone("the Toledo 8213 scale on " + port_.path() + " does not answer");
    auto stx = reply->rfind(toledo_8213::kStx);
    if (stx == std::string::npos) return "";
    return reply->substr(stx + 1, reply->size() - stx - 2);
  }
  SerialPort port_;
  std::string unit_;
};

class HidPosScale : public ScaleDriver {
 public:
  explicit HidPosScale(std::string device) : device_(std::move(device)) {
    fd_ = open(device_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0)
      throw DeviceGone("cannot open the USB scale " + device_ + ": " + strerror(errno) +
                       (errno == EACCES ? " (give the user access with a udev rule)" : ""));
  }
  ~HidPosScale() override { close(fd_); }
  // The scale reports on its own; take the newest whole report.
  WeightReading read() override {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(kReplyTimeout.count())) <= 0 && last_)
      return *last_;  // a still scale may report only on change
    uint8_t buf[256];
    ssize_t n;
    while ((n = ::read(fd_, buf, sizeof buf)) > 0) pending_.insert(pending_.end(), buf, buf + n);
    // End of file or ENODEV: the scale was unplugged.
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
      throw DeviceGone("the USB scale " + device_ + " is gone");
    while (pending_.size() >= static_cast<size_t>(hid_pos::kReportSize)) {
      std::vector<uint8_t> report(pending_.begin(), pending_.begin() + hid_pos::kReportSize);
      if (auto r = hid_pos::decode(report)) {
        last_ = *r;
        pending_.erase(pending_.begin(), pending_.begin() + hid_pos::kReportSize);
      } else {
        pending_.erase(pending_.begin());  // out of step: resynchronise on the next byte
      }
    }
    if (!last_) return {0, ScaleStatus::Fault, false};
    return *last_;
  }
  std::string describe() const override { return "USB HID scale " + device_; }

 private:
  std::string device_;
  int fd_ = -1;
  std::vector<uint8_t> pending_;
  std::optional<WeightReading> last_;
};

// While an item settles, a real scale swings around the final weight.
WeightReading swinging(int grams, long long ms_on_scale, long long settle_ms) {
  if (ms_on_scale >= settle_ms) return {grams * 1000LL, ScaleStatus::Ok, true};
  double progress = static_cast<double>(ms_on_scale) / std::max(1LL, settle_ms);
  double overshoot = (ms_on_scale / 100) % 2 ? 1.15 : 0.8;
  long long g = static_cast<long long>(grams * (progress + (1 - progress) * overshoot) *
                                       (0.5 + 0.5 * progress));
  return {g * 1000, ScaleStatus::Motion, false};
}

class SimulatedScale : public ScaleDriver {
 public:
  explicit SimulatedScale(const nlohmann::json& desired) {
    if (desired.contains("scenario")) {
      auto scenario =
          std::make_shared<Scenario>(Scenario::load(desired["scenario"].get<std::string>()));
      read_ = [scenario](long long t) {
        Scene s = scenario->at(t);
        if (s.index < 0) return WeightReading{0, ScaleStatus::Ok, true};
        return swinging(scenario->items[s.index].grams, s.ms_on_scale, scenario->settle_ms);
      };
      what_ = "simulated scale, " + std::to_string(scenario->items.size()) + " scenario items";
    } else if (desired.contains("steps")) {
      // [[durationMs, grams], ...], repeated.
      auto steps = setting<std::vector<std::pair<long long, int>>>(desired, "steps", {});
      long long total = 0;
      for (auto& [ms, g] : steps) {
        if (ms <= 0 || g < 0)
          throw SettingError("each of 'steps' must be [durationMs > 0, grams >= 0]");
        total += ms;
      }
      if (steps.empty()) throw SettingError("desired property 'steps' is empty");
      long long settle = setting<long long>(desired, "settleMs", 300);
      read_ = [steps, total, settle](long long t) {
        t %= total;
        for (auto& [ms, g] : steps) {
          if (t < ms)
            return g == 0 ? WeightReading{0, ScaleStatus::Ok, true} : swinging(g, t, settle);
          t -= ms;
        }
        return WeightReading{0, ScaleStatus::Ok, true};
      };
      what_ = "simulated scale, " + std::to_string(steps.size()) + " steps";
    } else {
      throw SettingError(
          "the simulated scale needs 'scenario' (a scenario file) or 'steps' ([[durationMs, "
          "grams], ...])");
    }
  }
  WeightReading read() override { return read_(now_ms() - runtime_started_ms()); }
  std::string describe() const override { return what_; }

 private:
  std::function<WeightReading(long long)> read_;
  std::string what_;
};

}  // namespace

ScaleSettings ScaleSettings::from(const nlohmann::json& d) {
  ScaleSettings s;
  // The driver first: every other setting depends on which it is.
  s.driver = setting<std::string>(d, "driver", s.driver);
  static const std::vector<std::string> drivers{"simulated", "mt-sics", "toledo-8213", "hid-pos"};
  if (std::find(drivers.begin(), drivers.end(), s.driver) == drivers.end())
    throw SettingError("desired property 'driver' is '" + s.driver +
                       "'; use simulated, mt-sics, toledo-8213 or hid-pos");
  s.hz = setting_in<double>(d, "hz", s.hz, 0.1, 100, "readings a second");
  s.stable_ms = setting_in<long long>(d, "stableMs", s.stable_ms, 0, 60000, "ms");
  s.division_mg = setting_in<long long>(d, "divisionMg", s.division_mg, 1, 1000000000, "mg");
  s.capacity_mg =
      setting_in<long long>(d, "capacityGrams", s.capacity_mg / 1000, 1, 1000000, "g") * 1000;
  if (s.driver == "simulated") {
    if (!d.contains("scenario") && !d.contains("steps"))
      throw SettingError(
          "the simulated scale needs 'scenario' (a scenario file) or 'steps' ([[durationMs, "
          "grams], ...])");
    return s;
  }
  s.device = required_setting<std::string>(d, "device",
                                           "the scale's device, e.g. /dev/ttyUSB0 or /dev/hidraw0");
  s.baud = setting<int>(d, "baud", s.baud);
  s.framing = setting<std::string>(d, "framing", s.driver == "toledo-8213" ? "7E1" : "8N1");
  s.unit = setting<std::string>(d, "unit", s.unit);
  if (s.driver == "toledo-8213" && !to_milligrams("1", s.unit))
    throw SettingError("desired property 'unit' must be mg, g, kg, oz or lb, found '" + s.unit +
                       "'");
  if (s.driver != "hid-pos") {
    try {
      SerialPort::check(s.baud, s.framing);
    } catch (const std::invalid_argument& e) {
      throw SettingError(std::string("desired property 'baud' or 'framing': ") + e.what());
    }
  }
  return s;
}

std::unique_ptr<ScaleDriver> open_scale(const nlohmann::json& desired) {
  ScaleSettings s = ScaleSettings::from(desired);
  if (s.driver == "simulated") return std::make_unique<SimulatedScale>(desired);
  if (s.driver == "mt-sics") return std::make_unique<MtSicsScale>(s.device, s.baud, s.framing);
  if (s.driver == "toledo-8213")
    return std::make_unique<Toledo8213Scale>(s.device, s.baud, s.framing, s.unit);
  return std::make_unique<HidPosScale>(s.device);
}

}  // namespace ce
