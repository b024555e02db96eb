#include "modules/scale/mt_sics.h"

#include <sstream>

namespace ce::mt_sics {

namespace {
Reply error(const std::string& what, const std::string& line) {
  return {Reply::Kind::Error, {}, what + ": \"" + line + "\""};
}
}  // namespace

Reply parse(const std::string& raw) {
  std::string line = raw;
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line == "ES") return error("the scale did not understand the command (ES)", line);
  if (line == "ET") return error("the scale received a garbled command (ET)", line);
  if (line == "EL") return error("the scale could not execute the command (EL)", line);
  std::istringstream in(line);
  std::string command, status;
  in >> command >> status;
  if (command != "S" && command != "SI" && command != "Z" && command != "T")
    return error("not an MT-SICS reply", line);
  if (status == "I") return {Reply::Kind::NotNow, {}, ""};
  if (status == "+") return {Reply::Kind::Overload, {0, ScaleStatus::Overload, false}, ""};
  if (status == "-") return {Reply::Kind::Underload, {0, ScaleStatus::UnderZero, false}, ""};
  if (command == "Z" && status == "A") return {Reply::Kind::Done, {}, ""};
  if (status != "S" && status != "D") return error("unknown MT-SICS status", line);
  std::string value, unit, extra;
  in >> value >> unit >> extra;
  auto mg = to_milligrams(value, unit);
  if (!mg || !extra.empty()) return error("unreadable weight in MT-SICS reply", line);
  WeightReading r;
  r.milligrams = *mg;
  r.stable = status == "S";
  r.status = r.stable ? ScaleStatus::Ok : ScaleStatus::Motion;
  if (*mg < 0) r.status = ScaleStatus::UnderZero;
  return {command == "T" ? Reply::Kind::Done : Reply::Kind::Weight, r, ""};
}

}  // namespace ce::mt_sics
