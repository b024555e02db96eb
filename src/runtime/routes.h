// Routes in Azure IoT Edge's syntax:
//   FROM /messages/modules/camera/outputs/frames
//   WHERE contentType = 'image/jpeg' AND NOT IS_DEFINED(test)
//   INTO BrokeredEndpoint("/modules/classifier/inputs/frames")
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>

namespace ce {

struct RouteError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Condition;  // a parsed WHERE clause

struct Route {
  std::string name;
  std::string text;
  // Source: "*" matches any module or output.
  std::string from_module = "*";
  std::string from_output = "*";
  std::shared_ptr<const Condition> where;  // null: always
  bool to_upstream = false;
  std::string to_module;
  std::string to_input;

  // Does a message from `module`'s `output` with these properties take this route?
  bool matches(const std::string& module, const std::string& output,
               const std::map<std::string, std::string>& properties) const;
};

// Throws RouteError saying where in the text the problem is and what was expected.
Route parse_route(const std::string& name, const std::string& text);

}  // namespace ce
