#include "common/json_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ce {

namespace {

int line_of(std::string_view text, size_t byte) {
  byte = std::min(byte, text.size());
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + byte, '\n'));
}

struct TooDeep {};

}  // namespace

nlohmann::json parse_json_text(std::string_view text, const std::string& where) {
  std::string key;  // the last key read: the field a bad value belongs to
  auto watch = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (depth > kMaxJsonDepth) throw TooDeep{};
    if (event == nlohmann::json::parse_event_t::key) key = parsed.get<std::string>();
    return true;
  };
  auto field = [&] { return key.empty() ? std::string() : ", field '" + key + "'"; };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), watch);
  } catch (const TooDeep&) {
    throw JsonError(where + ": nested more than " + std::to_string(kMaxJsonDepth) +
                    " levels deep; no setting or message of the lane is");
  } catch (const nlohmann::json::parse_error& e) {
    throw JsonError(where + ": not valid JSON at line " + std::to_string(line_of(text, e.byte)) +
                    field() + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {
    // A number too large for a double ("1e400"): the library names the
    // token but not where it stands, so find it.
    std::string message = e.what();
    std::string token;
    if (auto a = message.find('\''), b = message.rfind('\''); a != std::string::npos && b > a + 1)
      token = message.substr(a + 1, b - a - 1);
    size_t at = token.empty() ? std::string::npos : text.find(token);
    std::string line =
        at == std::string::npos ? "" : " at line " + std::to_string(line_of(text, at));
    throw JsonError(where + line + field() + ": " +
                    (token.empty() ? message
                                   : "the number " + token +
                                         " is out of range; write a number "
                                         "of ordinary size"));
  }
}

nlohmann::json read_json_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw JsonError(path + ": cannot open " + what + ": " + strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_json_text(ss.str(), path);
}

}  // namespace ce
