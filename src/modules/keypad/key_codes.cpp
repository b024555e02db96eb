#include "modules/keypad/key_codes.h"

#include <map>

namespace ce {

std::optional<std::string> key_name(const input_event& e) {
  // Auto-repeat (2) would answer a question twice for one long press.
  if (e.type != EV_KEY || e.value != 1) return std::nullopt;
  static const std::map<int, std::string> names{
      {KEY_KP0, "0"},         {KEY_KP1, "1"},       {KEY_KP2, "2"},     {KEY_KP3, "3"},
      {KEY_KP4, "4"},         {KEY_KP5, "5"},       {KEY_KP6, "6"},     {KEY_KP7, "7"},
      {KEY_KP8, "8"},         {KEY_KP9, "9"},       {KEY_0, "0"},       {KEY_1, "1"},
      {KEY_2, "2"},           {KEY_3, "3"},         {KEY_4, "4"},       {KEY_5, "5"},
      {KEY_6, "6"},           {KEY_7, "7"},         {KEY_8, "8"},       {KEY_9, "9"},
      {KEY_KPASTERISK, "*"},  {KEY_KPPLUS, "+"},    {KEY_KPMINUS, "-"}, {KEY_KPSLASH, "/"},
      {KEY_KPENTER, "Enter"}, {KEY_ENTER, "Enter"}, {KEY_MINUS, "-"},   {KEY_SLASH, "/"},
      {KEY_KPDOT, "*"}};
  auto it = names.find(e.code);
  if (it == names.end()) return std::nullopt;
  return it->second;
}

}  // namespace ce
