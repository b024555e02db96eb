// The names the lane's screens answer to. A page served from any other name
// is refused: with DNS rebinding, a shop's web page whose name comes to
// resolve to 127.0.0.1 would otherwise be the kiosk's own origin, get its
// token and pay.
#pragma once

#include <string>
#include <vector>

namespace ce {

class HostNames {
 public:
  // Loopback names always; the address the screens listen on unless it is
  // every address; and the names staff set in `hostNames`.
  HostNames(const std::vector<std::string>& configured, const std::string& listen_host);

  // A request's Host header ("name:port", "[::1]:port").
  bool allows_host(const std::string& host_header) const;
  // A request's Origin header: none, or one of the names over http(s).
  bool allows_origin(const std::string& origin_header) const;
  // For error messages: "127.0.0.1, localhost, [::1]".
  std::string listed() const;

 private:
  std::vector<std::string> names_;
};

}  // namespace ce
