// Open event streams (one per open page), bounded per client and per kind:
// twelve streams from one client once took every slot, and the real kiosk
// and the console got 503. Now a client (an address) holds at most a few
// kiosk streams, and staff's streams have slots of their own that no kiosk
// page takes.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace ce {

class StreamSlots {
 public:
  static constexpr int kKioskPerClient = 8, kKiosk = 48, kStaffPerClient = 8, kStaff = 16;

  // True when `client` may open another stream of its kind; it then holds
  // the slot until release().
  bool take(bool staff, const std::string& client);
  void release(bool staff, const std::string& client);

 private:
  std::mutex mutex_;
  std::map<std::string, int> per_client_;  // kind + address -> open streams
  int kiosk_ = 0, staff_ = 0;
};

}  // namespace ce
