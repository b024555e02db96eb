// A serial line (termios) to a device (a scale, a scanner): raw bytes, its baud rate and
// framing, reads with a timeout. A vanished device throws DeviceGone.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace ce {

struct DeviceGone : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class SerialPort {
 public:
  // framing: data bits, parity (N/E/O), stop bits, e.g. "8N1" or "7E1".
  // Throws DeviceGone naming the device when it cannot be opened.
  SerialPort(const std::string& path, int baud, const std::string& framing);
  // Throws std::invalid_argument for a baud rate or framing no port takes.
  static void check(int baud, const std::string& framing);
  ~SerialPort();
  SerialPort(const SerialPort&) = delete;
  SerialPort& operator=(const SerialPort&) = delete;

  void write(const std::string& bytes);
  // Bytes up to and including `terminator`; nullopt if it does not come in time.
  std::optional<std::string> read_until(char terminator, std::chrono::milliseconds timeout);
  void discard_input();  // stale bytes from before a command
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace ce
