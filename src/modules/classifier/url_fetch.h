// The image a /url request names, fetched only where the lane allows: the
// classifier's REST API must not be a way to read the lane's own files
// (file:///etc/shadow as an oracle, the state folder's photos) or to reach
// the services on its loopback (the hub, the screens, other programs).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace ce {

struct UrlPolicy {
  size_t max_bytes = 4 * 1024 * 1024;
  int timeout_s = 10;
  // file:// reads only files under these folders; none: no file:// at all.
  std::vector<std::string> file_folders;
  // http(s) to an address of this machine (127.0.0.0/8, ::1, 0.0.0.0).
  bool loopback = false;
};

// What went wrong, with the HTTP status the API answers (400, 413).
struct FetchError : std::runtime_error {
  FetchError(int status, const std::string& message)
      : std::runtime_error(message), status(status) {}
  int status;
};

// The bytes at `url` (http://, https://, or file:// where allowed); every
// redirect (at most 20) is checked as the first address was.
std::string fetch_image_url(const std::string& url, const UrlPolicy& policy);

}  // namespace ce
