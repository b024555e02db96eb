#include "runtime/broker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace ce {

static sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int find_free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  auto addr = loopback(0);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error(std::string("cannot find a free loopback port: ") + strerror(errno));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

bool port_accepts_connections(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  auto addr = loopback(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

std::string find_mosquitto() {
  for (const char* p : {"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/bin/mosquitto"})
    if (access(p, X_OK) == 0) return p;
  throw std::runtime_error(
      "the MQTT broker (mosquitto) is not installed; run scripts/install-deps.sh "
      "or: apt-get install mosquitto");
}

std::string find_broker_limits_plugin() {
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  const char* name = "checkout-edge-broker-limits.so";
  for (const auto& candidate : {self / name, self.parent_path() / "lib/checkout-edge" / name})
    if (access(candidate.c_str(), R_OK) == 0) return candidate.string();
  throw std::runtime_error(
      std::string("the hub's limits for modules (") + name + ") are missing beside " +
      self.string() +
      ": without them a module could fill the broker's memory; rebuild (scripts/build.sh) or "
      "reinstall the package");
}

std::vector<std::string> prepare_broker(const StateDir& state, int staff_port, int module_port,
                                        const HubIdentities& identities,
                                        const RuntimeSettings& settings) {
  std::string exe = find_mosquitto();
  std::string limits = find_broker_limits_plugin();
  std::filesystem::create_directories(state.hub_dir());
  identities.write_files();
  auto conf = state.hub_dir() / "mosquitto.conf";
  // Started as root, mosquitto would become user "mosquitto", who cannot
  // read the lane's private files: it stays the lane's user.
  std::string tls;
  if (!settings.hub_ca_file.empty()) {
    for (const std::string* f :
         {&settings.hub_ca_file, &settings.hub_cert_file, &settings.hub_key_file})
      if (access(f->c_str(), R_OK) != 0)
        throw std::runtime_error("cannot read " + *f +
                                 " (runtime.settings.hubTls): " + strerror(errno) +
                                 "; give the hub's CA, certificate and key files");
    tls = "cafile " + settings.hub_ca_file + "\ncertfile " + settings.hub_cert_file + "\nkeyfile " +
          settings.hub_key_file + "\ntls_version tlsv1.2\n";
  }
  std::string user;
  if (geteuid() == 0)
    if (passwd* pw = getpwuid(0)) user = std::string("user ") + pw->pw_name + "\n";
  // Loopback only: modules are local processes, and nothing on the network
  // may publish into a checkout lane.
  auto listener = [&](int port, const std::filesystem::path& passwd,
                      const std::filesystem::path& acl) {
    return "\nlistener " + std::to_string(port) + " 127.0.0.1\n" + tls +
           "allow_anonymous false\npassword_file " + passwd.string() + "\nacl_file " +
           acl.string() + "\n";
  };
  write_file_atomically(
      conf,
      "# Written by checkout-edge; edits are overwritten at start.\n"
      "per_listener_settings true\n" +
          user +
          "persistence false\n"
          "log_dest stdout\n"
          "log_type error\nlog_type warning\nlog_type notice\n"
          // A client that falls behind loses its oldest
          // messages, not the broker its memory (frames go
          // at QoS 0 and are never queued).
          "max_queued_messages 1000\n"
          "max_queued_bytes 67108864\n"
          "max_packet_size 16777216\n"
          // Small messages at once: Nagle held a stable weight
          // back by up to 40 ms on its way to the checkout.
          "set_tcp_nodelay true\n" +
          listener(staff_port, identities.staff_password_file(), identities.staff_acl_file()) +
          listener(module_port, identities.password_file(), identities.acl_file()) +
          // What the ACL cannot say: a module retains only its reported
          // twin, and frames and other messages have their sizes.
          "plugin " + limits +
          "\nplugin_opt_frame_bytes 8388608\nplugin_opt_message_bytes 1048576\n" +
          // Without it, a module connecting with another
          // client's id would drop that client.
          "use_username_as_clientid true\n");
  return {exe, "-c", conf.string()};
}

}  // namespace ce
