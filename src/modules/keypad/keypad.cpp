// keypad: the shopper's keys, from a USB keypad or keyboard
// (`device`: /dev/input/by-id/...-event-kbd, or /dev/input/eventN), sent on
// output "keys" as {"key": "1"}. The device is grabbed so that its keys do
// not also type into the kiosk; an unplugged keypad is reported and reopened.
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "common/settings.h"
#include "common/stop_signal.h"
#include "modules/keypad/key_codes.h"
#include "modules/modules.h"

namespace ce {

static std::string keypad_device(const nlohmann::json& desired) {
  return required_setting<std::string>(
      desired, "device", "the keypad's input device (ls /dev/input/by-id/*-event-kbd)");
}

void check_keypad_settings(const nlohmann::json& desired) { keypad_device(desired); }

int run_keypad(ModuleClient& client, const nlohmann::json& desired) {
  std::string device = keypad_device(desired);
  client.on_desired_change([&client, desired](const nlohmann::json& d) {
    if (d != desired) client.restart_to_apply("new desired properties");
  });
  auto retry = std::chrono::milliseconds(500);
  std::string last_error;
  // The device is read on a thread of its own; this one waits for SIGTERM
  // (a loop that only polls the device never sees it).
  run_until_stopped([&] {
    while (!stop_requested()) {
      int fd = ::open(device.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) {
        std::string error = "cannot open keypad " + device + ": " + std::strerror(errno) +
                            (errno == EACCES ? " (add the user to group 'input')" : "");
        if (error != last_error) std::cerr << "keypad: " << error << "; retrying\n";
        last_error = error;
        client.report({{"device", device}, {"connected", false}, {"error", error}});
        if (wait_for_stop(retry)) break;
        retry = std::min(retry * 2, std::chrono::milliseconds(5000));
        continue;
      }
      ioctl(fd, EVIOCGRAB, 1);  // fails on a non-evdev file (tests): harmless
      retry = std::chrono::milliseconds(500);
      last_error.clear();
      std::cerr << "keypad: reading " << device << "\n";
      client.report({{"device", device}, {"connected", true}, {"error", nullptr}});
      input_event event;
      size_t have = 0;  // a record can arrive in pieces from a pipe
      while (!stop_requested()) {
        pollfd p{fd, POLLIN, 0};
        int ready = poll(&p, 1, 200);
        if (ready == 0) continue;
        ssize_t n = ::read(fd, reinterpret_cast<char*>(&event) + have, sizeof event - have);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) {
          std::cerr << "keypad: " << device << " is gone; waiting for it\n";
          client.report({{"connected", false}, {"error", device + " is gone"}});
          break;
        }
        have += static_cast<size_t>(n);
        if (have < sizeof event) continue;
        have = 0;
        if (auto key = key_name(event))
          client.send_output("keys", Message::with_json({{"key", *key}}));
      }
      ::close(fd);
      if (wait_for_stop(retry)) break;
    }
  });
  return 0;
}

}  // namespace ce
