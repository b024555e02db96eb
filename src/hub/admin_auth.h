// Who may change the lane: the runtime writes a fresh secret at every start
// into a file only the lane's user can read (STATE/admin.key); the CLI signs
// deploy and twin changes with it (HMAC-SHA256 over the method, the request
// id, the time and the body). The secret never travels on the hub, so a
// process that can reach the broker but not the file cannot deploy,
// whatever it sees on the wire; a seen request id is refused again.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "checkout-edge/module.h"

namespace ce {

// Writes a new random key to `path` (0600) and returns it.
std::string create_admin_key(const std::filesystem::path& path);
// Throws saying who may read it when the caller may not.
std::string read_admin_key(const std::filesystem::path& path);

// Adds the "adminAuth" property to a request for `method`.
void sign_admin_request(Message& request, const std::string& method, const std::string& key);

// Who signed a request the verifier let through.
enum class Signer { Administrator, Console };

class AdminVerifier {
 public:
  // `console_key`: the staff console's (STATE/console.key), which signs what
  // staff change from the web; empty: only the administrator's is taken.
  explicit AdminVerifier(std::string key, std::string console_key = "")
      : key_(std::move(key)), console_key_(std::move(console_key)) {}
  // Empty when `request` is signed with a key, fresh (within a minute of
  // now) and not seen before; else why it is refused. `signer` says whose.
  std::string refuse(const std::string& method, const Message& request, Signer* signer = nullptr);

 private:
  std::string key_, console_key_;
  std::mutex mutex_;
  std::map<std::string, long long> seen_;  // request id -> its timestamp
};

}  // namespace ce
