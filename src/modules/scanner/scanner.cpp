// scanner: a handheld or built-in barcode scanner, sent on output "codes" as
// the barcodes module sends the camera's: {"code": {"symbology", "text",
// "gtin"?, ...}, "source": "scanner"}. Two kinds, as stores have them:
//   - a USB keyboard wedge ("device": /dev/input/by-id/...-event-kbd): its
//     key presses, grabbed so that they never type into the kiosk;
//   - a serial one ("device": /dev/ttyACM0, "baud", "framing"): lines ended
//     by CR or LF.
// "prefix" and "suffix" are what the scanner is set to add around each code
// (stripped; a scan without the prefix is refused as a stray line). An
// unplugged scanner is reported (connected: false, event "scanner-missing")
// and reopened when it is back, as the scale is.
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>

#include "common/product_code.h"
#include "common/serial_port.h"
#include "common/settings.h"
#include "common/stop_signal.h"
#include "modules/modules.h"
#include "modules/scanner/wedge_keys.h"

namespace ce {
namespace {

struct ScannerSettings {
  std::string device;
  bool keyboard = true;  // else serial
  int baud = 9600;
  std::string framing = "8N1";
  std::string prefix, suffix;

  static ScannerSettings from(const nlohmann::json& d) {
    ScannerSettings s;
    s.device = required_setting<std::string>(
        d, "device",
        "the scanner: /dev/input/by-id/...-event-kbd (a USB keyboard wedge) or /dev/ttyACM0 "
        "(serial)");
    std::string kind = setting<std::string>(
        d, "interface", s.device.rfind("/dev/input/", 0) == 0 ? "keyboard" : "serial");
    if (kind != "keyboard" && kind != "serial")
      throw SettingError(
          "desired property 'interface' must be \"keyboard\" or \"serial\", found \"" + kind +
          "\"");
    s.keyboard = kind == "keyboard";
    s.baud = setting_in<int>(d, "baud", 9600, 1200, 921600);
    s.framing = setting<std::string>(d, "framing", "8N1");
    try {
      SerialPort::check(s.baud, s.framing);
    } catch (const std::invalid_argument& e) {
      throw SettingError(std::string("desired properties 'baud'/'framing': ") + e.what());
    }
    s.prefix = setting<std::string>(d, "prefix", "");
    s.suffix = setting<std::string>(d, "suffix", "");
    return s;
  }
};

// One scanned line, its prefix and suffix taken off; throws saying what to fix.
std::string code_text(std::string line, const ScannerSettings& s) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (!s.prefix.empty()) {
    if (line.rfind(s.prefix, 0) != 0)
      throw std::invalid_argument("the scan \"" + line + "\" does not start with the prefix \"" +
                                  s.prefix + "\" the scanner is set to send (setting 'prefix')");
    line.erase(0, s.prefix.size());
  }
  if (!s.suffix.empty() && line.size() >= s.suffix.size() &&
      line.compare(line.size() - s.suffix.size(), s.suffix.size(), s.suffix) == 0)
    line.erase(line.size() - s.suffix.size());
  return line;
}

void send_scan(ModuleClient& client, const std::string& line, const ScannerSettings& s,
               long long& scans) {
  try {
    ProductCode code = parse_scanned_code(code_text(line, s));
    client.send_output("codes",
                       Message::with_json({{"code", to_json(code)}, {"source", "scanner"}}));
    ++scans;
    std::cerr << "scanner: " << code.symbology << " " << code.text << "\n";
    client.report({{"scans", scans}, {"lastError", nullptr}});
  } catch (const std::invalid_argument& e) {
    std::cerr << "scanner: ignored a scan: " << e.what() << "\n";
    client.report({{"lastError", e.what()}});
  }
}

void send_event(ModuleClient& client, const std::string& event, const std::string& detail) {
  client.send_output("events", Message::with_json({{"event", event}, {"detail", detail}}));
}

// Reads one opened keyboard wedge until it is gone or the module stops.
void read_keyboard(ModuleClient& client, int fd, const ScannerSettings& s, long long& scans) {
  WedgeKeys keys(s.suffix == "\t" ? KEY_TAB : KEY_ENTER);
  input_event event;
  size_t have = 0;  // a record can arrive in pieces from a pipe
  while (!stop_requested()) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) == 0) continue;
    ssize_t n = ::read(fd, reinterpret_cast<char*>(&event) + have, sizeof event - have);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return;
    have += static_cast<size_t>(n);
    if (have < sizeof event) continue;
    have = 0;
    if (auto line = keys.feed(event)) send_scan(client, *line, s, scans);
  }
}

void read_serial(ModuleClient& client, SerialPort& port, const ScannerSettings& s,
                 long long& scans) {
  std::string pending;
  while (!stop_requested()) {
    auto chunk = port.read_until('\r', std::chrono::milliseconds(200));
    if (!chunk) continue;
    // CR, LF or CR LF: a lone LF ends a line too.
    pending += *chunk;
    size_t end;
    while ((end = pending.find_first_of("\r\n")) != std::string::npos) {
      std::string line = pending.substr(0, end);
      pending.erase(0, end + 1);
      if (!line.empty()) send_scan(client, line, s, scans);
    }
  }
}

}  // namespace

void check_scanner_settings(const nlohmann::json& desired) { ScannerSettings::from(desired); }

int run_scanner(ModuleClient& client, const nlohmann::json& desired) {
  ScannerSettings s = ScannerSettings::from(desired);
  client.on_desired_change([&client, desired](const nlohmann::json& d) {
    if (d != desired) client.restart_to_apply("new desired properties");
  });
  auto retry = std::chrono::milliseconds(500);
  std::string last_error;
  bool was_connected = false;
  long long scans = 0;
  auto connected = [&](const std::string& how) {
    std::cerr << "scanner: reading " << s.device << " (" << how << ")\n";
    client.report({{"device", s.device}, {"connected", true}, {"error", nullptr}});
    if (!last_error.empty()) send_event(client, "scanner-back", s.device);
    last_error.clear();
    was_connected = true;
    retry = std::chrono::milliseconds(500);
  };
  // The device is read on a thread of its own; this one waits for SIGTERM.
  run_until_stopped([&] {
    while (!stop_requested()) {
      try {
        if (s.keyboard) {
          int fd = ::open(s.device.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
          if (fd < 0)
            throw DeviceGone("cannot open the scanner " + s.device + ": " + std::strerror(errno) +
                             (errno == EACCES ? " (add the user to group 'input')" : ""));
          ioctl(fd, EVIOCGRAB, 1);  // fails on a non-evdev file (tests): harmless
          connected("keyboard");
          read_keyboard(client, fd, s, scans);
          ::close(fd);
          if (stop_requested()) break;
          throw DeviceGone(s.device + " is gone");
        }
        SerialPort port(s.device, s.baud, s.framing);
        connected("serial, " + std::to_string(s.baud) + " " + s.framing);
        read_serial(client, port, s, scans);
      } catch (const DeviceGone& e) {
        if (e.what() != last_error) {
          std::cerr << "scanner: " << e.what() << "; waiting for it\n";
          client.report({{"device", s.device}, {"connected", false}, {"error", e.what()}});
          if (was_connected) send_event(client, "scanner-missing", e.what());
        }
        last_error = e.what();
        if (wait_for_stop(retry)) break;
        retry = std::min(retry * 2, std::chrono::milliseconds(5000));
      }
    }
  });
  return 0;
}

}  // namespace ce
