#include "modules/web/host_names.h"

#include <algorithm>
#include <cctype>

namespace ce {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// "name:8090" -> "name", "[::1]:8090" -> "[::1]"; a bare IPv6 address
// (not valid in a Host header) is left whole and so matches nothing.
std::string without_port(const std::string& host) {
  if (host.starts_with("[")) {
    auto end = host.find(']');
    return end == std::string::npos ? host : host.substr(0, end + 1);
  }
  auto colon = host.find(':');
  if (colon == std::string::npos || host.find(':', colon + 1) != std::string::npos) return host;
  return host.substr(0, colon);
}

}  // namespace

HostNames::HostNames(const std::vector<std::string>& configured, const std::string& listen_host)
    : names_{"127.0.0.1", "localhost", "[::1]"} {
  std::string listening = lower(listen_host);
  if (listening.find(':') != std::string::npos && !listening.starts_with("["))
    listening = "[" + listening + "]";
  if (!listening.empty() && listening != "0.0.0.0" && listening != "[::]")
    names_.push_back(listening);
  for (const std::string& name : configured) names_.push_back(lower(name));
}

bool HostNames::allows_host(const std::string& host_header) const {
  std::string name = lower(without_port(host_header));
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

bool HostNames::allows_origin(const std::string& origin_header) const {
  if (origin_header.empty()) return true;  // not a browser's cross-origin request
  std::string origin = lower(origin_header);
  for (const char* scheme : {"http://", "https://"})
    if (origin.starts_with(scheme)) {
      std::string host = origin.substr(std::string(scheme).size());
      return host.find('/') == std::string::npos && allows_host(host);
    }
  return false;  // "null" (a sandboxed or local file's page) and anything else
}

std::string HostNames::listed() const {
  std::string out;
  for (const std::string& name : names_) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace ce
