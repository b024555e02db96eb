#include "runtime/module_env.h"

#include <cctype>
#include <cstdlib>
#include <set>

namespace ce {

bool passed_to_modules(const std::string& name) {
  static const std::set<std::string> basics{
      "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "SSL_CERT_FILE",
      "SSL_CERT_DIR", "XDG_RUNTIME_DIR", "CHECKOUT_EDGE_SHARED", "CHECKOUT_EDGE_HOME",
      // The sanitizers' settings, for the sanitized test builds.
      "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};
  return basics.count(name) || name.rfind("LC_", 0) == 0;
}

std::string with_environment(const std::string& value, std::vector<std::string>* missing) {
  std::string out;
  size_t last = 0;
  for (size_t at = value.find("${"); at != std::string::npos; at = value.find("${", at + 1)) {
    size_t end = at + 2;
    while (end < value.size() &&
           (value[end] == '_' || std::isalnum(static_cast<unsigned char>(value[end]))))
      ++end;
    if (end == at + 2 || end >= value.size() || value[end] != '}' ||
        std::isdigit(static_cast<unsigned char>(value[at + 2])))
      continue;
    std::string name = value.substr(at + 2, end - at - 2);
    out.append(value, last, at - last);
    if (const char* e = std::getenv(name.c_str()))
      out += e;
    else if (missing)
      missing->push_back(name);
    last = end + 1;
    at = end;
  }
  return last == 0 ? value : out + value.substr(last);
}

}  // namespace ce
