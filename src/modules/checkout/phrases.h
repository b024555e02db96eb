// What the checkout says, written the way people say it.
#pragma once

#include <string>

namespace ce {

// 420 -> "0.42 kilograms", 1000 -> "1 kilogram".
std::string say_weight(long long grams);
// 126 USD -> "1 dollar 26", 26 -> "26 cents", 200 -> "2 dollars".
std::string say_money(long long minor, const std::string& currency, int minor_units = 2);

}  // namespace ce
