#include "modules/scanner/wedge_keys.h"

#include <map>
#include <utility>

namespace ce {
namespace {

// US layout, which scanners type in unless set otherwise: {plain, shifted}.
const std::map<int, std::pair<char, char>>& us_keys() {
  static const std::map<int, std::pair<char, char>> keys = [] {
    std::map<int, std::pair<char, char>> k{
        {KEY_1, {'1', '!'}},           {KEY_2, {'2', '@'}},          {KEY_3, {'3', '#'}},
        {KEY_4, {'4', '$'}},           {KEY_5, {'5', '%'}},          {KEY_6, {'6', '^'}},
        {KEY_7, {'7', '&'}},           {KEY_8, {'8', '*'}},          {KEY_9, {'9', '('}},
        {KEY_0, {'0', ')'}},           {KEY_MINUS, {'-', '_'}},      {KEY_EQUAL, {'=', '+'}},
        {KEY_LEFTBRACE, {'[', '{'}},   {KEY_RIGHTBRACE, {']', '}'}}, {KEY_SEMICOLON, {';', ':'}},
        {KEY_APOSTROPHE, {'\'', '"'}}, {KEY_COMMA, {',', '<'}},      {KEY_DOT, {'.', '>'}},
        {KEY_SLASH, {'/', '?'}},       {KEY_SPACE, {' ', ' '}},      {KEY_KP0, {'0', '0'}},
        {KEY_KP1, {'1', '1'}},         {KEY_KP2, {'2', '2'}},        {KEY_KP3, {'3', '3'}},
        {KEY_KP4, {'4', '4'}},         {KEY_KP5, {'5', '5'}},        {KEY_KP6, {'6', '6'}},
        {KEY_KP7, {'7', '7'}},         {KEY_KP8, {'8', '8'}},        {KEY_KP9, {'9', '9'}}};
    const char* rows[] = {"qwertyuiop", "asdfghjkl", "zxcvbnm"};
    const int firsts[] = {KEY_Q, KEY_A, KEY_Z};
    for (int r = 0; r < 3; ++r)
      for (int i = 0; rows[r][i]; ++i)
        k[firsts[r] + i] = {rows[r][i], static_cast<char>(rows[r][i] - 'a' + 'A')};
    return k;
  }();
  return keys;
}

}  // namespace

std::optional<std::string> WedgeKeys::feed(const input_event& e) {
  if (e.type != EV_KEY) return std::nullopt;
  if (e.code == KEY_LEFTSHIFT || e.code == KEY_RIGHTSHIFT) {
    shift_ = e.value != 0;
    return std::nullopt;
  }
  if (e.code == KEY_LEFTCTRL || e.code == KEY_RIGHTCTRL) {
    ctrl_ = e.value != 0;
    return std::nullopt;
  }
  if (e.value != 1) return std::nullopt;  // releases and auto-repeat
  if (e.code == end_key_ || e.code == KEY_KPENTER) {
    std::string line = std::move(line_);
    line_.clear();
    return line;
  }
  // GS1's group separator (ASCII 29) comes as Ctrl+] from a wedge scanner.
  if (ctrl_ && e.code == KEY_RIGHTBRACE) {
    line_ += '\x1d';
    return std::nullopt;
  }
  auto it = us_keys().find(e.code);
  if (it != us_keys().end() && line_.size() < 256)
    line_ += shift_ ? it->second.second : it->second.first;
  return std::nullopt;
}

}  // namespace ce
