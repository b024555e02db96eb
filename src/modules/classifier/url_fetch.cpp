#include "modules/classifier/url_fetch.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netdb.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

namespace ce {
namespace {

std::string size_limit(size_t bytes) {
  return bytes >= 1024 * 1024 ? std::to_string(bytes / (1024 * 1024)) + " MB"
                              : std::to_string(bytes / 1024) + " kB";
}

std::string read_file_url(const std::string& url, const UrlPolicy& policy) {
  // The same answer whether the file exists or not: no oracle.
  if (policy.file_folders.empty())
    throw FetchError(400,
                     "file:// URLs are not read unless the classifier's 'urlFolders' setting "
                     "names the folders they may read; send the image bytes to /image");
  // Symbolic links resolved: a link in the folder to /etc is outside it.
  std::error_code ec;
  auto path = std::filesystem::weakly_canonical(url.substr(7), ec);
  bool inside = false;
  for (const std::string& folder : policy.file_folders) {
    std::error_code fc;
    auto root = std::filesystem::canonical(folder, fc);
    if (ec || fc) continue;
    auto rel = path.lexically_relative(root);
    inside |= !rel.empty() && *rel.begin() != "..";
  }
  if (!inside)
    throw FetchError(400, "cannot read " + url.substr(0, 300) +
                              ": only files under the 'urlFolders' setting's folders are read");
  auto size = std::filesystem::file_size(path, ec);
  if (ec) throw FetchError(400, "cannot read " + url.substr(0, 300) + ": " + ec.message());
  if (size > policy.max_bytes)
    throw FetchError(413, url + " is larger than the " + size_limit(policy.max_bytes) + " limit");
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool on_this_machine(const sockaddr* a) {
  if (a->sa_family == AF_INET) {
    uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr);
    return (ip >> 24) == 127 || (ip >> 24) == 0;
  }
  if (a->sa_family == AF_INET6) {
    const in6_addr& ip = reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&ip) || IN6_IS_ADDR_UNSPECIFIED(&ip)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&ip) || IN6_IS_ADDR_V4COMPAT(&ip))
      return ip.s6_addr[12] == 127 || ip.s6_addr[12] == 0;
  }
  return false;
}

// The address to connect to, resolved once and then pinned, so that a name
// cannot resolve to a public address here and to 127.0.0.1 on connecting.
std::string address_of(const std::string& host, const std::string& url, const UrlPolicy& policy) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || !found)
    throw FetchError(400, "cannot fetch " + url.substr(0, 300) + ": no address for " + host);
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, freeaddrinfo);
  char text[INET6_ADDRSTRLEN] = {};
  const addrinfo* chosen = found;
  for (const addrinfo* a = found; a; a = a->ai_next)
    if (on_this_machine(a->ai_addr) && !policy.loopback)
      throw FetchError(400, "cannot fetch " + url.substr(0, 300) +
                                ": it is on this machine, and the classifier fetches from its "
                                "own machine only with the 'urlLoopback' setting");
  const void* raw = chosen->ai_family == AF_INET
                        ? static_cast<const void*>(
                              &reinterpret_cast<const sockaddr_in*>(chosen->ai_addr)->sin_addr)
                        : &reinterpret_cast<const sockaddr_in6*>(chosen->ai_addr)->sin6_addr;
  inet_ntop(chosen->ai_family, raw, text, sizeof text);
  return text;
}

std::string why_not_fetched(httplib::Error e, const UrlPolicy& policy) {
  using httplib::Error;
  switch (e) {
    case Error::Connection:
      return "nothing answered at that address";
    case Error::ConnectionTimeout:
    case Error::Read:
      return "no answer within " + std::to_string(policy.timeout_s) + " s";
    case Error::SSLConnection:
      return "the TLS handshake failed";
    case Error::SSLServerVerification:
      return "the server's certificate is not trusted here";
    default:
      return httplib::to_string(e);
  }
}

}  // namespace

std::string fetch_image_url(const std::string& first_url, const UrlPolicy& policy) {
  if (first_url.rfind("file://", 0) == 0) return read_file_url(first_url, policy);
  // scheme, host (a name, an IPv4 address or [IPv6]), port, path; no user@.
  static const std::regex web(
      R"(^(https?)://(\[[0-9a-fA-F:.]+\]|[^/?#:@\[\]]+)(?::(\d{1,5}))?([/?].*)?$)",
      std::regex::icase);
  std::string url = first_url;
  for (int hop = 0; hop <= 20; ++hop) {
    std::smatch m;
    if (url.size() > 4096 || !std::regex_match(url, m, web))
      throw FetchError(400, (hop ? "a redirect went to '"
                                 : "only http:// and https:// URLs are "
                                   "fetched, not '") +
                                url.substr(0, 200) + "'");
    std::string scheme = m[1].str(), host = m[2].str();
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
    std::string bare = host.front() == '[' ? host.substr(1, host.size() - 2) : host;
    std::string origin = scheme + "://" + host + (m[3].matched ? ":" + m[3].str() : "");
    httplib::Client client(origin);
    if (!client.is_valid()) throw FetchError(400, "cannot fetch " + url + ": not a valid address");
    client.set_hostname_addr_map({{bare, address_of(bare, url, policy)}});
    client.set_connection_timeout(policy.timeout_s);
    client.set_read_timeout(policy.timeout_s);
    client.set_follow_location(false);  // each hop is checked here
    client.enable_server_certificate_verification(true);
    std::string path = m[4].matched ? m[4].str() : "/";
    if (path[0] == '?') path = "/" + path;
    std::string body;
    auto res = client.Get(path, [&](const char* data, size_t len) {
      body.append(data, len);
      return body.size() <= policy.max_bytes;
    });
    if (body.size() > policy.max_bytes)
      throw FetchError(413, url + " is larger than the " + size_limit(policy.max_bytes) + " limit");
    if (!res)
      throw FetchError(400, "cannot fetch " + url + ": " + why_not_fetched(res.error(), policy));
    if (res->status >= 300 && res->status < 400 && res->has_header("Location")) {
      std::string to = res->get_header_value("Location");
      if (to.rfind("//", 0) == 0)
        url = scheme + ":" + to;
      else if (to.rfind("/", 0) == 0)
        url = origin + to;
      else if (to.find("://") == std::string::npos)
        url = origin + path.substr(0, path.rfind('/') + 1) + to;
      else
        url = to;
      continue;
    }
    if (res->status != 200)
      throw FetchError(400, "fetching " + url + " answered HTTP " + std::to_string(res->status));
    return body;
  }
  throw FetchError(400, "cannot fetch " + first_url + ": too many redirects (over 20)");
}

}  // namespace ce
