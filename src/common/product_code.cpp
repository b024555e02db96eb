#include "common/product_code.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace ce {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// GS1's Price Look-Up numbers for loose produce: 3000-4999, and with a
// leading 8 (organic) or 9 five digits. A DataBar sticker carries one as
// the GTIN 0000000000PPPPC or 000000000PPPPPC.
std::string plu_in_gtin(const std::string& gtin14) {
  if (gtin14.compare(0, 8, "00000000") != 0) return {};
  std::string body = gtin14.substr(8, 5);
  std::string plu = body[0] == '0' ? body.substr(1) : body;
  if (plu.size() == 4 && plu >= "3000" && plu <= "4999") return plu;
  if (plu.size() == 5 && (plu[0] == '8' || plu[0] == '9') && plu.substr(1) >= "3000" &&
      plu.substr(1) <= "4999")
    return plu;
  return {};
}

struct Element {
  std::string ai, value;
};

// "(01)90012345678908(3103)001750": each AI in parentheses.
std::vector<Element> bracketed_elements(std::string_view s) {
  std::vector<Element> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t close = s.find(')', i);
    if (s[i] != '(' || close == std::string_view::npos)
      throw std::invalid_argument("the element string \"" + std::string(s) +
                                  "\" has no (AI) at character " + std::to_string(i + 1));
    std::string ai(s.substr(i + 1, close - i - 1));
    if (!all_digits(ai) || ai.size() < 2 || ai.size() > 4)
      throw std::invalid_argument("\"" + ai + "\" is not a GS1 application identifier");
    size_t next = s.find('(', close + 1);
    if (next == std::string_view::npos) next = s.size();
    out.push_back({ai, std::string(s.substr(close + 1, next - close - 1))});
    i = next;
  }
  return out;
}

// The length of the AI at the start of `s` and of its value when that is
// fixed (0: runs to a GS or the end), from GS1's table of predefined lengths.
std::pair<size_t, size_t> ai_lengths(std::string_view s) {
  if (s.size() < 2) return {s.size(), 0};
  int two = (s[0] - '0') * 10 + (s[1] - '0');
  if (two == 0) return {2, 18};
  if (two >= 1 && two <= 3) return {2, 14};
  if (two == 4) return {2, 16};
  if (two >= 11 && two <= 19) return {2, 6};
  if (two == 20) return {2, 2};
  if (two == 10 || two == 21 || two == 22 || two >= 90) return {2, 0};
  if (two >= 31 && two <= 36) return {4, 6};
  if (two == 41) return {3, 13};
  if (two == 23 || two == 24 || two == 25 || two == 40 || two == 42) return {3, 0};
  return {4, 0};
}

// What a scanner sends: AIs and values run together, variable ones ended by
// the group separator (ASCII 29).
std::vector<Element> raw_elements(std::string_view s) {
  std::vector<Element> out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '\x1d') {
      ++i;
      continue;
    }
    auto [ai_len, value_len] = ai_lengths(s.substr(i));
    if (i + ai_len > s.size() || !all_digits(s.substr(i, ai_len)))
      throw std::invalid_argument("the element string has no AI at character " +
                                  std::to_string(i + 1));
    std::string ai(s.substr(i, ai_len));
    i += ai_len;
    size_t end = value_len ? std::min(s.size(), i + value_len) : s.find('\x1d', i);
    if (end == std::string_view::npos) end = s.size();
    out.push_back({ai, std::string(s.substr(i, end - i))});
    i = end;
  }
  return out;
}

void apply_elements(ProductCode& code, const std::vector<Element>& elements) {
  for (const auto& [ai, value] : elements) {
    if (ai == "01" || ai == "02") {
      auto g = gtin14(value);
      if (!g)
        throw std::invalid_argument("the GTIN (" + ai + ")" + value +
                                    " has a wrong check digit or length");
      if (ai == "01") code.gtin = *g;
    } else if (ai.size() == 4 && ai.compare(0, 3, "310") == 0) {
      if (value.size() != 6 || !all_digits(value))
        throw std::invalid_argument("the net weight (" + ai + ")" + value + " is not six digits");
      int decimals = ai[3] - '0';
      long long mg = std::stoll(value);
      for (int d = decimals; d < 6; ++d) mg *= 10;
      for (int d = 6; d < decimals; ++d) mg /= 10;
      code.net_weight_mg = mg;
    } else if (ai.size() == 4 && (ai.compare(0, 3, "392") == 0 || ai.compare(0, 3, "393") == 0)) {
      std::string amount = value;
      if (ai[2] == '3') {
        if (value.size() < 4)
          throw std::invalid_argument("the price (" + ai + ")" + value + " has no currency");
        code.price_currency = value.substr(0, 3);
        amount = value.substr(3);
      }
      if (!all_digits(amount) || amount.size() > 15)
        throw std::invalid_argument("the price (" + ai + ")" + value + " is not 1-15 digits");
      code.price_amount = std::stoll(amount);
      code.price_decimals = ai[3] - '0';
    }
  }
}

}  // namespace

bool gtin_check_digit_ok(std::string_view digits) {
  size_t n = digits.size();
  if ((n != 8 && n != 12 && n != 13 && n != 14) || !all_digits(digits)) return false;
  int sum = 0;
  // From the right, leaving out the check digit: weights 3, 1, 3, ...
  for (size_t i = 0; i + 1 < n; ++i) {
    int d = digits[n - 2 - i] - '0';
    sum += i % 2 == 0 ? 3 * d : d;
  }
  return (10 - sum % 10) % 10 == digits[n - 1] - '0';
}

std::optional<std::string> upc_e_to_upc_a(std::string_view e) {
  if (e.size() != 8 || !all_digits(e) || (e[0] != '0' && e[0] != '1')) return std::nullopt;
  std::string m(e.substr(1, 6));
  std::string body;
  switch (m[5]) {
    case '0':
    case '1':
    case '2':
      body = m.substr(0, 2) + m[5] + "0000" + m.substr(2, 3);
      break;
    case '3':
      body = m.substr(0, 3) + "00000" + m.substr(3, 2);
      break;
    case '4':
      body = m.substr(0, 4) + "00000" + m[4];
      break;
    default:
      body = m.substr(0, 5) + "0000" + m[5];
  }
  return std::string(1, e[0]) + body + e[7];
}

std::optional<std::string> gtin14(std::string_view digits, bool upc_e) {
  std::string d(digits);
  if (upc_e) {
    auto a = upc_e_to_upc_a(digits);
    if (!a) return std::nullopt;
    d = *a;
  }
  if (!gtin_check_digit_ok(d)) return std::nullopt;
  return std::string(14 - d.size(), '0') + d;
}

ProductCode parse_product_code(std::string symbology, std::string text) {
  ProductCode code{std::move(symbology), std::move(text)};
  const std::string& s = code.symbology;
  if (s == "EAN-13" || s == "EAN-8" || s == "UPC-A" || s == "UPC-E" || s == "DataBar") {
    auto g = gtin14(code.text, s == "UPC-E");
    if (!g)
      throw std::invalid_argument("the " + s + " code \"" + code.text +
                                  "\" has a wrong check digit or length");
    code.gtin = *g;
  } else if (s == "DataBar Expanded") {
    if (!code.text.empty() && code.text[0] == '(')
      apply_elements(code, bracketed_elements(code.text));
    else
      apply_elements(code, raw_elements(code.text));
  } else {
    throw std::invalid_argument("\"" + s + "\" is not a product code's symbology");
  }
  if (!code.gtin.empty()) code.plu = plu_in_gtin(code.gtin);
  return code;
}

ProductCode parse_scanned_code(std::string_view line) {
  std::string s(line);
  // An AIM symbology identifier ("]E0" EAN/UPC, "]e0" DataBar) when the
  // scanner is set to send one.
  std::string symbology;
  if (s.size() > 3 && s[0] == ']') {
    std::string id = s.substr(1, 2);
    s = s.substr(3);
    if (id == "e0") symbology = "DataBar Expanded";
    if (id == "E4") symbology = "EAN-8";
  }
  if (symbology.empty() && all_digits(s)) {
    if (s.size() == 4 || s.size() == 5) {
      ProductCode code{"PLU", s};
      code.plu = s;
      return code;
    }
    if (s.size() == 8) symbology = gtin_check_digit_ok(s) ? "EAN-8" : "UPC-E";
    if (s.size() == 12) symbology = "UPC-A";
    if (s.size() == 13) symbology = "EAN-13";
    if (s.size() == 14) symbology = "DataBar";
    if (s.size() == 16 && s.compare(0, 2, "01") == 0) symbology = "DataBar Expanded";
  }
  if (symbology.empty() && (s.find('(') == 0 || s.find('\x1d') != std::string::npos))
    symbology = "DataBar Expanded";
  if (symbology.empty())
    throw std::invalid_argument("\"" + s +
                                "\" is not a product code (EAN/UPC, GS1 DataBar or a 4-5 digit "
                                "PLU); check the scanner's prefix and suffix settings");
  return parse_product_code(symbology, s);
}

nlohmann::json to_json(const ProductCode& c) {
  nlohmann::json j{{"symbology", c.symbology}, {"text", c.text}};
  if (!c.gtin.empty()) j["gtin"] = c.gtin;
  if (!c.plu.empty()) j["plu"] = c.plu;
  if (c.net_weight_mg) j["netWeightMg"] = *c.net_weight_mg;
  if (c.price_amount) {
    j["labelPrice"] = {{"amount", *c.price_amount}, {"decimals", c.price_decimals}};
    if (!c.price_currency.empty()) j["labelPrice"]["currency"] = c.price_currency;
  }
  return j;
}

ProductCode product_code_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("symbology") || !j["symbology"].is_string() ||
      !j.contains("text") || !j["text"].is_string())
    throw std::invalid_argument("a product code needs \"symbology\" and \"text\" strings");
  std::string symbology = j["symbology"], text = j["text"];
  if (symbology == "PLU") return parse_scanned_code(text);
  // Parsed again, not trusted: the message may come from any module.
  return parse_product_code(symbology, text);
}

}  // namespace ce
