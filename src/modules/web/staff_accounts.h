// Who may use the staff console. Passwords are kept only as Argon2id hashes
// (libsodium's crypto_pwhash_str, which salts and encodes its parameters),
// in a 0600 file the module's user alone can read; sessions are random
// tokens, kept (as their SHA-256, so the file holds no usable cookie) in
// another 0600 file so that a restart of the module logs no one out; each
// session has its own CSRF token; failed logins slow the next tries down.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ce {

// Throws when libsodium cannot start (no random source).
void init_password_hashing();
std::string hash_password(const std::string& password);
bool password_matches(const std::string& hash, const std::string& password);
std::string random_token();  // 32 random bytes, hex
// Constant-time, so that a token cannot be guessed a character at a time.
bool tokens_equal(const std::string& a, const std::string& b);

// staff.json: {"accounts": {"name": {"hash": "$argon2id$...", "createdMs": ...}}}.
class StaffAccounts {
 public:
  explicit StaffAccounts(std::filesystem::path file) : file_(std::move(file)) {}
  // Throws saying what is wrong with the name or password.
  void add(const std::string& name, const std::string& password);
  bool remove(const std::string& name);
  std::vector<std::string> names() const;
  // Whether the password is the name's, re-reading the file when it changed
  // (so `checkout-edge staff add` needs no restart); nullopt at once when
  // another check is running: Argon2 takes a core for 0.1 s, and a flood
  // of logins queued behind it would hold every server thread the kiosk
  // needs.
  std::optional<bool> verify_if_free(const std::string& name, const std::string& password);
  bool has(const std::string& name) const;
  const std::filesystem::path& file() const { return file_; }

 private:
  std::map<std::string, std::string> read() const;  // name -> hash
  void write(const std::map<std::string, std::string>& accounts) const;

  std::filesystem::path file_;
  std::mutex mutex_;
  std::mutex hashing_;  // one password check at a time
};

struct StaffSession {
  std::string user, csrf;
  long long created_ms = 0, last_used_ms = 0;
};

class StaffSessions {
 public:
  // `file` (sessions.json) empty: sessions are held in memory only.
  explicit StaffSessions(std::filesystem::path file = {});
  std::string open(const std::string& user, StaffSession* out);  // the cookie's token
  // The session of a token, if it is live; each use extends it.
  std::optional<StaffSession> find(const std::string& token);
  void close(const std::string& token);
  // Ends every session of `user` (removed from the staff).
  void close_all_of(const std::string& user);

 private:
  void expire(long long now);
  void save();  // throws nothing: a session not kept ends at the next restart

  std::filesystem::path file_;
  std::mutex mutex_;
  std::map<std::string, StaffSession> sessions_;  // by the token's SHA-256, hex
  long long saved_ms_ = 0;
};

// Five wrong passwords for a name or from an address, then a wait that
// doubles with each further failure (30 s up to 15 minutes).
class LoginThrottle {
 public:
  // Seconds to wait before another try is taken; 0: go ahead.
  long long wait_s(const std::string& user, const std::string& address);
  void failed(const std::string& user, const std::string& address);
  void succeeded(const std::string& user, const std::string& address);

 private:
  struct Failures {
    int count = 0;
    long long last_ms = 0;
  };
  static constexpr size_t kMaxEntries = 10000;
  long long wait_for(const Failures& f, long long now, int free) const;
  std::mutex mutex_;
  std::map<std::string, Failures> by_key_;
  std::set<std::string> trusted_;  // address and name that logged in
};

}  // namespace ce
