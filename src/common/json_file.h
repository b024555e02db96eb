// Reading JSON from outside (files, hub messages) with errors that say
// where: the file, the line and the field, and what was wrong.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ce {

// Nothing the lane reads nests deeper; the JSON library's dump, compare and
// merge recurse, so a deeper document from outside could exhaust the stack.
inline constexpr int kMaxJsonDepth = 64;

struct JsonError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `where` starts each message ("catalogue.json", "the weight message").
// Throws JsonError: "catalogue.json: line 3, field 'pricePerKg': the number
// 1e400 is out of range".
nlohmann::json parse_json_text(std::string_view text, const std::string& where);

// `what` names the file's role in the message: "the catalogue", "the scenario file".
nlohmann::json read_json_file(const std::string& path, const std::string& what);

}  // namespace ce
