#include "modules/web/staff_accounts.h"

#include <sodium.h>

#include <algorithm>
#include <iostream>
#include <stdexcept>

#include "checkout-edge/module.h"
#include "common/files.h"
#include "common/json_file.h"

namespace ce {

namespace {

constexpr long long kIdleMs = 30 * 60 * 1000;           // a console left alone
constexpr long long kLifetimeMs = 12 * 60 * 60 * 1000;  // a shift
constexpr size_t kMaxSessions = 64;
constexpr int kFreeFailures = 5;
constexpr long long kForgetFailuresMs = 15 * 60 * 1000;

}  // namespace

void init_password_hashing() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start (no random source?)");
}

std::string hash_password(const std::string& password) {
  init_password_hashing();
  char out[crypto_pwhash_STRBYTES];
  // libsodium's interactive limits: about 0.1 s and 64 MiB a login here.
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw std::runtime_error("cannot hash the password: out of memory");
  return out;
}

bool password_matches(const std::string& hash, const std::string& password) {
  init_password_hashing();
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string random_token() {
  init_password_hashing();
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[2 * sizeof bytes + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

namespace {

std::string token_hash(const std::string& token) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  char hex[2 * sizeof digest + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

}  // namespace

bool tokens_equal(const std::string& a, const std::string& b) {
  return a.size() == b.size() && !a.empty() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::map<std::string, std::string> StaffAccounts::read() const {
  std::map<std::string, std::string> out;
  if (!std::filesystem::exists(file_)) return out;
  nlohmann::json j = read_json_file(file_.string(), "the staff accounts");
  auto accounts = j.find("accounts");
  if (accounts == j.end() || !accounts->is_object())
    throw std::runtime_error(file_.string() + " has no \"accounts\" object");
  for (auto& [name, a] : accounts->items())
    if (a.is_object() && a.contains("hash") && a["hash"].is_string()) out[name] = a["hash"];
  return out;
}

void StaffAccounts::write(const std::map<std::string, std::string>& accounts) const {
  nlohmann::json j{{"accounts", nlohmann::json::object()}};
  for (auto& [name, hash] : accounts) j["accounts"][name] = {{"hash", hash}};
  if (std::filesystem::create_directories(file_.parent_path()))
    std::filesystem::permissions(file_.parent_path(), std::filesystem::perms::owner_all);
  write_file_atomically(file_, j.dump(2) + "\n");  // 0600
}

void StaffAccounts::add(const std::string& name, const std::string& password) {
  if (name.empty() || name.size() > 64 || !std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
      }))
    throw std::runtime_error("a staff name is 1 to 64 letters, digits, '.', '-' or '_'; '" +
                             name.substr(0, 64) + "' is not");
  if (password.size() < 10)
    throw std::runtime_error("the password must be at least 10 characters; a till is worth more");
  if (password.size() > 1024) throw std::runtime_error("the password is over 1024 characters");
  std::lock_guard lock(mutex_);
  auto accounts = read();
  accounts[name] = hash_password(password);
  write(accounts);
}

bool StaffAccounts::remove(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto accounts = read();
  if (!accounts.erase(name)) return false;
  write(accounts);
  return true;
}

std::vector<std::string> StaffAccounts::names() const {
  std::vector<std::string> out;
  for (auto& [name, hash] : read()) out.push_back(name);
  return out;
}

bool StaffAccounts::has(const std::string& name) const {
  try {
    return read().count(name) > 0;
  } catch (const std::exception&) {
    return false;  // an unreadable file lets no one in
  }
}

std::optional<bool> StaffAccounts::verify_if_free(const std::string& name,
                                                  const std::string& password) {
  std::unique_lock hashing(hashing_, std::try_to_lock);
  if (!hashing.owns_lock()) return std::nullopt;
  std::optional<std::string> hash;
  {
    // Not held while hashing: every console request asks has().
    std::lock_guard lock(mutex_);
    auto accounts = read();
    if (auto it = accounts.find(name); it != accounts.end()) hash = it->second;
  }
  if (!hash) {
    // As slow as a real check, so that a wrong name is not told apart by time.
    static const std::string dummy = hash_password(random_token());
    password_matches(dummy, password);
    return false;
  }
  return password_matches(*hash, password);
}

StaffSessions::StaffSessions(std::filesystem::path file) : file_(std::move(file)) {
  if (file_.empty() || !std::filesystem::exists(file_)) return;
  try {
    nlohmann::json j = read_json_file(file_.string(), "the staff sessions");
    nlohmann::json kept = j.value("sessions", nlohmann::json::object());
    for (auto& [hash, s] : kept.items())
      if (s.is_object() && hash.size() == 64)
        sessions_[hash] = {s.value("user", ""), s.value("csrf", ""), s.value("createdMs", 0LL),
                           s.value("lastUsedMs", 0LL)};
  } catch (const std::exception& e) {
    // Only logins are lost: staff log in again.
    std::cerr << "web: " << e.what() << "; staff must log in again\n";
  }
  std::erase_if(sessions_, [](auto& s) { return s.second.user.empty() || s.second.csrf.empty(); });
  expire(now_ms());
}

void StaffSessions::expire(long long now) {
  std::erase_if(sessions_, [&](const auto& s) {
    return now - s.second.last_used_ms > kIdleMs || now - s.second.created_ms > kLifetimeMs;
  });
}

void StaffSessions::save() {
  if (file_.empty()) return;
  nlohmann::json j{{"sessions", nlohmann::json::object()}};
  for (auto& [hash, s] : sessions_)
    j["sessions"][hash] = {{"user", s.user},
                           {"csrf", s.csrf},
                           {"createdMs", s.created_ms},
                           {"lastUsedMs", s.last_used_ms}};
  try {
    write_file_atomically(file_, j.dump() + "\n");  // 0600
    saved_ms_ = now_ms();
  } catch (const std::exception& e) {
    std::cerr << "web: cannot keep the staff sessions: " << e.what() << "\n";
  }
}

std::string StaffSessions::open(const std::string& user, StaffSession* out) {
  init_password_hashing();
  std::lock_guard lock(mutex_);
  long long now = now_ms();
  expire(now);
  if (sessions_.size() >= kMaxSessions) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](auto& a, auto& b) {
      return a.second.last_used_ms < b.second.last_used_ms;
    });
    sessions_.erase(oldest);
  }
  std::string token = random_token();
  StaffSession s{user, random_token(), now, now};
  sessions_[token_hash(token)] = s;
  save();
  if (out) *out = s;
  return token;
}

std::optional<StaffSession> StaffSessions::find(const std::string& token) {
  if (token.size() != 64) return std::nullopt;
  init_password_hashing();
  std::lock_guard lock(mutex_);
  // Looked up by hash: the map's comparisons leak nothing about the token.
  auto it = sessions_.find(token_hash(token));
  if (it == sessions_.end()) return std::nullopt;
  long long now = now_ms();
  if (now - it->second.last_used_ms > kIdleMs || now - it->second.created_ms > kLifetimeMs) {
    sessions_.erase(it);
    save();
    return std::nullopt;
  }
  it->second.last_used_ms = now;
  StaffSession found = it->second;
  // Use is kept once a minute: a restart may cut an idle session a minute short.
  if (now - saved_ms_ > 60 * 1000) save();
  return found;
}

void StaffSessions::close(const std::string& token) {
  init_password_hashing();
  std::lock_guard lock(mutex_);
  if (sessions_.erase(token_hash(token))) save();
}

void StaffSessions::close_all_of(const std::string& user) {
  std::lock_guard lock(mutex_);
  if (std::erase_if(sessions_, [&](auto& s) { return s.second.user == user; })) save();
}

long long LoginThrottle::wait_for(const Failures& f, long long now, int free) const {
  if (f.count < free || now - f.last_ms > kForgetFailuresMs) return 0;
  long long delay_s = 30LL << std::min(f.count - free, 5);
  delay_s = std::min(delay_s, 15LL * 60);
  long long left_ms = f.last_ms + delay_s * 1000 - now;
  return left_ms > 0 ? (left_ms + 999) / 1000 : 0;
}

// Who is slowed: the address that guessed (for that name, and for any
// name), never the account for everyone. An account guessed at from many
// addresses (password spraying) slows only the addresses it has not been
// logged in from. Names are at most 64 bytes (the login route refuses
// longer ones), so each entry is small, and there are at most kMaxEntries.
long long LoginThrottle::wait_s(const std::string& user, const std::string& address) {
  std::lock_guard lock(mutex_);
  long long now = now_ms();
  long long wait = 0;
  auto check = [&](const std::string& key, int free) {
    if (auto it = by_key_.find(key); it != by_key_.end())
      wait = std::max(wait, wait_for(it->second, now, free));
  };
  check("pair:" + address + '\n' + user, kFreeFailures);
  check("addr:" + address, 2 * kFreeFailures);  // several names mistyped
  if (!trusted_.count(address + '\n' + user)) check("user:" + user, 4 * kFreeFailures);
  return wait;
}

void LoginThrottle::failed(const std::string& user, const std::string& address) {
  std::lock_guard lock(mutex_);
  long long now = now_ms();
  if (by_key_.size() > kMaxEntries)  // forget what is old, else start again
    std::erase_if(by_key_,
                  [&](const auto& e) { return now - e.second.last_ms > kForgetFailuresMs; });
  if (by_key_.size() > kMaxEntries) by_key_.clear();
  for (const std::string& key :
       {"pair:" + address + '\n' + user, "addr:" + address, "user:" + user}) {
    Failures& f = by_key_[key];
    if (now - f.last_ms > kForgetFailuresMs) f.count = 0;
    ++f.count;
    f.last_ms = now;
  }
}

void LoginThrottle::succeeded(const std::string& user, const std::string& address) {
  std::lock_guard lock(mutex_);
  by_key_.erase("pair:" + address + '\n' + user);
  by_key_.erase("addr:" + address);
  if (trusted_.size() > kMaxEntries) trusted_.clear();
  trusted_.insert(address + '\n' + user);
}

}  // namespace ce
