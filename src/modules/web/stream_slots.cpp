#include "modules/web/stream_slots.h"

namespace ce {

bool StreamSlots::take(bool staff, const std::string& client) {
  std::lock_guard lock(mutex_);
  int& total = staff ? staff_ : kiosk_;
  int& mine = per_client_[(staff ? "staff " : "kiosk ") + client];
  if (total >= (staff ? kStaff : kKiosk) || mine >= (staff ? kStaffPerClient : kKioskPerClient)) {
    if (mine == 0) per_client_.erase((staff ? "staff " : "kiosk ") + client);
    return false;
  }
  ++total;
  ++mine;
  return true;
}

void StreamSlots::release(bool staff, const std::string& client) {
  std::lock_guard lock(mutex_);
  --(staff ? staff_ : kiosk_);
  auto key = (staff ? "staff " : "kiosk ") + client;
  if (--per_client_[key] <= 0) per_client_.erase(key);
}

}  // namespace ce
