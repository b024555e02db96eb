#include "hub/admin_auth.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace ce {

namespace {

constexpr long long kFreshMs = 60000;

std::string hex(const unsigned char* bytes, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
  }
  return out;
}

std::string signature(const std::string& key, const std::string& method, const Message& m) {
  std::string text =
      method + "\n" + m.property("requestId") + "\n" + m.property("timestamp") + "\n" + m.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &len);
  return hex(mac, len);
}

}  // namespace

std::string create_admin_key(const std::filesystem::path& path) {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw std::runtime_error("cannot make the admin key: no random numbers from OpenSSL");
  std::string key = hex(bytes, sizeof bytes);
  auto tmp = path;
  tmp += ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0 && fchmod(fd, 0600) == 0 &&
            write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && fsync(fd) == 0;
  int err = errno;
  if (fd >= 0) close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot write the admin key " + path.string() + ": " +
                             strerror(ok ? errno : err));
  return key;
}

std::string read_admin_key(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string key;
  if (!in || !std::getline(in, key) || key.empty())
    throw std::runtime_error("only the lane's administrator may change it: cannot read " +
                             path.string() + " (" + strerror(errno) +
                             "); run this as the user that runs the lane (or root)");
  return key;
}

void sign_admin_request(Message& request, const std::string& method, const std::string& key) {
  request.properties["adminAuth"] = signature(key, method, request);
}

std::string AdminVerifier::refuse(const std::string& method, const Message& request,
                                  Signer* signer) {
  std::string given = request.property("adminAuth");
  if (given.empty())
    return "only the lane's administrator may call '" + method +
           "': the request is not signed (use checkout-edge as the lane's user)";
  auto signed_with = [&](const std::string& key) {
    std::string expected = signature(key, method, request);
    return !key.empty() && given.size() == expected.size() &&
           CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
  };
  bool by_admin = signed_with(key_);
  if (signer) *signer = by_admin ? Signer::Administrator : Signer::Console;
  if (!by_admin && !signed_with(console_key_))
    return "the request for '" + method +
           "' is not signed with this runtime's admin key (STATE/admin.key is new at every "
           "start)";
  long long now = now_ms(), sent = request.timestamp_ms();
  if (sent < now - kFreshMs || sent > now + kFreshMs)
    return "the request for '" + method +
           "' is more than a minute old, or from the future: "
           "check the clock";
  std::lock_guard lock(mutex_);
  std::erase_if(seen_, [&](auto& entry) { return entry.second < now - 2 * kFreshMs; });
  if (!seen_.emplace(request.property("requestId"), sent).second)
    return "the request for '" + method + "' was already carried out once (a replay)";
  return "";
}

}  // namespace ce
