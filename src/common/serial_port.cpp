#include "common/serial_port.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <map>

namespace ce {

namespace {
speed_t speed_of(int baud) {
  static const std::map<int, speed_t> speeds{{1200, B1200},   {2400, B2400},    {4800, B4800},
                                             {9600, B9600},   {19200, B19200},  {38400, B38400},
                                             {57600, B57600}, {115200, B115200}};
  auto it = speeds.find(baud);
  if (it == speeds.end())
    throw std::invalid_argument("baud rate " + std::to_string(baud) +
                                " is not one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, "
                                "115200");
  return it->second;
}
}  // namespace

void SerialPort::check(int baud, const std::string& framing) {
  if (framing.size() != 3 || (framing[0] != '7' && framing[0] != '8') ||
      std::string("NEO").find(framing[1]) == std::string::npos ||
      (framing[2] != '1' && framing[2] != '2'))
    throw std::invalid_argument("framing '" + framing + "' is not like 8N1 or 7E1");
  speed_of(baud);
}

SerialPort::SerialPort(const std::string& path, int baud, const std::string& framing)
    : path_(path) {
  check(baud, framing);
  speed_t speed = speed_of(baud);
  fd_ = open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) throw DeviceGone("cannot open the serial port " + path + ": " + strerror(errno));
  termios t{};
  if (tcgetattr(fd_, &t) != 0) {
    std::string e = strerror(errno);
    close(fd_);
    throw DeviceGone(path + " is not a serial port: " + e);
  }
  cfmakeraw(&t);
  cfsetispeed(&t, speed);
  cfsetospeed(&t, speed);
  t.c_cflag &= ~(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
  t.c_cflag |= (framing[0] == '7' ? CS7 : CS8) | CLOCAL | CREAD;
  if (framing[1] != 'N') t.c_cflag |= PARENB | (framing[1] == 'O' ? PARODD : 0);
  if (framing[2] == '2') t.c_cflag |= CSTOPB;
  tcsetattr(fd_, TCSANOW, &t);
}

SerialPort::~SerialPort() {
  if (fd_ >= 0) close(fd_);
}

void SerialPort::write(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd_, POLLOUT, 0};
      poll(&p, 1, 100);
      continue;
    }
    if (n < 0) throw DeviceGone("the device on " + path_ + " is gone: " + strerror(errno));
    done += n;
  }
}

std::optional<std::string> SerialPort::read_until(char terminator,
                                                  std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (auto pos = buffer_.find(terminator); pos != std::string::npos) {
      std::string out = buffer_.substr(0, pos + 1);
      buffer_.erase(0, pos + 1);
      return out;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    int rc = poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) return std::nullopt;
    char buf[256];
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n > 0) {
      buffer_.append(buf, n);
      // A scale that never sends the terminator must not grow this forever.
      if (buffer_.size() > 4096) buffer_.erase(0, buffer_.size() - 1024);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      throw DeviceGone("the device on " + path_ + " is gone" +
                       (n < 0 ? std::string(": ") + strerror(errno) : ""));
    }
  }
}

void SerialPort::discard_input() {
  buffer_.clear();
  tcflush(fd_, TCIFLUSH);
}

}  // namespace ce
