#include "modules/checkout/phrases.h"

#include <map>

namespace ce {

std::string say_weight(long long grams) {
  std::string kg = std::to_string(grams / 1000);
  long long rest = grams % 1000;
  if (rest) {
    std::string frac = std::to_string(1000 + rest).substr(1);
    while (frac.back() == '0') frac.pop_back();
    kg += "." + frac;
  }
  return kg + (grams == 1000 ? " kilogram" : " kilograms");
}

std::string say_money(long long minor, const std::string& currency, int minor_units) {
  struct Names {
    const char *one, *many, *minor_one, *minor_many;
  };
  static const std::map<std::string, Names> names{{"USD", {"dollar", "dollars", "cent", "cents"}},
                                                  {"AUD", {"dollar", "dollars", "cent", "cents"}},
                                                  {"CAD", {"dollar", "dollars", "cent", "cents"}},
                                                  {"EUR", {"Euro", "Euro", "cent", "cents"}},
                                                  {"GBP", {"pound", "pounds", "penny", "pence"}}};
  auto it = names.find(currency);
  Names n = it != names.end() ? it->second : Names{currency.c_str(), currency.c_str(), "", ""};
  long long scale = 1;
  for (int i = 0; i < minor_units; ++i) scale *= 10;
  long long major = minor / scale, cents = minor % scale;
  auto count = [](long long v, const char* one, const char* many) {
    return std::to_string(v) + " " + (v == 1 ? one : many);
  };
  if (major == 0 && cents > 0 && *n.minor_one) return count(cents, n.minor_one, n.minor_many);
  std::string out = count(major, n.one, n.many);
  if (cents) out += " " + std::to_string(cents);
  return out;
}

}  // namespace ce
