#include "modules/web/lane_files.h"

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace ce {

namespace {

bool module_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && name[0] != '.' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '$' ||
                  c == '.';
         });
}

}  // namespace

nlohmann::json LaneFiles::log_tail(const std::string& module, size_t lines) const {
  if (!module_name(module))
    throw std::invalid_argument("'" + module.substr(0, 64) + "' is not a module's name");
  std::filesystem::path file = root_ / "logs" / (module + ".log");
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw std::invalid_argument("module '" + module + "' has no log in " +
                                file.parent_path().string());
  // The end is enough: at most 256 kB of it.
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff start = std::max<std::streamoff>(0, size - 256 * 1024);
  in.seekg(start);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> all;
  size_t at = start > 0 ? text.find('\n') + 1 : 0;  // a cut first line is dropped
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    all.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  if (all.size() > lines) all.erase(all.begin(), all.end() - static_cast<long>(lines));
  return {{"module", module}, {"lines", all}};
}

nlohmann::json LaneFiles::runtime_status() const {
  std::ifstream in(root_ / "agent.json");
  auto agent = nlohmann::json::parse(in, nullptr, false);
  if (agent.is_discarded() || !agent.is_object())
    throw std::runtime_error("the runtime's agent.json in " + root_.string() + " cannot be read");
  nlohmann::json problems = nlohmann::json::object();
  for (const auto& m : agent.value("modules", nlohmann::json::array()))
    if (m.is_object() && m.contains("problem") && !m["problem"].is_null())
      problems[m.value("name", "?")] = m["problem"];
  return {{"upstream", agent.value("upstream", nlohmann::json())},
          {"hub", agent.value("hub", nlohmann::json())},
          {"problems", problems}};
}

}  // namespace ce
