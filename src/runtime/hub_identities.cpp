#include "runtime/hub_identities.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <fstream>
#include <stdexcept>

#include "common/files.h"
#include "hub/admin_auth.h"

namespace ce {

namespace {

std::string random_password() {
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw std::runtime_error("cannot make the hub's passwords: no random numbers from OpenSSL");
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) out += {digits[b >> 4], digits[b & 15]};
  return out;
}

std::string base64(const unsigned char* data, int size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, size);
  out.resize(n);
  return out;
}

// What a module may do, by its user name (%u): Mosquitto's own patterns.
// Which outputs it may publish follows, per module, from the routes.
constexpr const char* kModulePatterns =
    "pattern read modules/%u/inputs/#\n"
    "pattern read $ce/twins/%u/desired\n"
    "pattern write $ce/twins/%u/reported\n"
    "pattern write $ce/heartbeats/%u\n"
    "pattern write $ce/restart/%u\n"
    "pattern read $ce/methods/%u/#\n"
    // Replies go where the caller asked; only the runtime and staff call
    // methods, and a module never sees another's requests.
    "pattern write $ce/replies/#\n"
    "pattern read $ce/replies/%u/#\n";

}  // namespace

std::string mosquitto_password_hash(const std::string& password) {
  constexpr int kIterations = 101;  // mosquitto_passwd's
  unsigned char salt[12], hash[64];
  if (RAND_bytes(salt, sizeof salt) != 1 ||
      PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt, sizeof salt,
                        kIterations, EVP_sha512(), sizeof hash, hash) != 1)
    throw std::runtime_error("cannot hash the hub's passwords (OpenSSL)");
  return "$7$" + std::to_string(kIterations) + "$" + base64(salt, sizeof salt) + "$" +
         base64(hash, sizeof hash);
}

HubIdentities::HubIdentities(StateDir state, std::string admin_key, std::string console_key)
    : state_(std::move(state)),
      runtime_{kRuntime, random_password()},
      admin_{kAdmin, std::move(admin_key)},
      console_{kConsole, std::move(console_key)} {}

HubLogin HubIdentities::module(const std::string& name, bool* made) {
  auto [it, fresh] = modules_.try_emplace(name, HubLogin{name, ""});
  if (fresh) it->second.password = random_password();
  if (made) *made = fresh;
  return it->second;
}

bool HubIdentities::set_routes(const std::vector<Route>& routes) {
  std::map<std::string, std::set<std::string>> outputs;
  for (const auto& r : routes)
    outputs[r.from_module].insert(r.from_output == "*" ? "#" : r.from_output);
  if (outputs == outputs_) return false;
  outputs_ = std::move(outputs);
  return true;
}

void HubIdentities::write_files() const {
  const std::string written = "# Written by checkout-edge at every start; edits are lost.\n";
  std::string staff_passwd, staff_acl = written;
  for (const HubLogin* login : {&runtime_, &admin_, &console_}) {
    staff_passwd += login->username + ":" + mosquitto_password_hash(login->password) + "\n";
    staff_acl += "\nuser " + login->username + "\ntopic readwrite #\ntopic readwrite $ce/#\n";
  }
  std::string passwd;
  for (auto& [name, login] : modules_)
    passwd += name + ":" + mosquitto_password_hash(login.password) + "\n";
  std::filesystem::create_directories(state_.hub_dir());
  write_file_atomically(password_file(), passwd);
  std::string acl = written + kModulePatterns;
  if (outputs_.count("*")) {
    acl += "pattern write modules/%u/outputs/#\n";
  } else {
    // A module no route takes from publishes no outputs: it has no block.
    for (const auto& [module, outputs] : outputs_) {
      acl += "\nuser " + module + "\n";
      for (const auto& output : outputs)
        acl += "topic write modules/" + module + "/outputs/" + output + "\n";
    }
  }
  write_file_atomically(acl_file(), acl);
  write_file_atomically(staff_password_file(), staff_passwd);
  write_file_atomically(staff_acl_file(), staff_acl);
}

namespace {

// Opened, not access()ed: the kernel's sandbox refuses at open.
bool console_only(const StateDir& state) {
  return !std::ifstream(state.admin_key_file()) && std::ifstream(state.console_key_file());
}

}  // namespace

std::string staff_signing_key(const StateDir& state) {
  return read_admin_key(console_only(state) ? state.console_key_file() : state.admin_key_file());
}

HubLogin admin_login(const StateDir& state) {
  HubLogin login{console_only(state) ? HubIdentities::kConsole : HubIdentities::kAdmin,
                 staff_signing_key(state)};
  // The running runtime says whether its hub speaks TLS, and with which CA.
  try {
    auto agent = nlohmann::json::parse(read_file(state.agent_file()));
    if (agent.is_object()) login.ca_file = agent.value("hubCaFile", "");
  } catch (const std::exception&) {
  }
  return login;
}

}  // namespace ce
