#include "modules/checkout/catalogue.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "common/json_file.h"
#include "common/product_code.h"

namespace ce {
namespace {

struct CatalogueError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Far beyond any real product, far below where prices times grams overflow.
constexpr long long kMaxPrice = 1'000'000'000'000;
constexpr long long kMaxGrams = 1'000'000;

// Checks what both formats share: unique ids, tags claimed once, prices.
class Checker {
 public:
  explicit Checker(std::string path) : path_(std::move(path)) {}
  [[noreturn]] void fail(int line, const std::string& field, const std::string& expected) const {
    throw CatalogueError(path_ + (line > 0 ? ":" + std::to_string(line) : "") + ": " + field +
                         ": expected " + expected);
  }
  void add(Catalogue& c, Product p, int line, const std::string& where) {
    if (p.id.empty()) fail(line, where + "id", "a product id or PLU");
    if (p.name.empty()) fail(line, where + "name", "the name to speak");
    if (!ids_.insert(p.id).second)
      fail(line, where + "id", "a unique id; '" + p.id + "' is used twice");
    if (p.tags.empty() && p.gtins.empty())
      fail(line, where + "tags", "at least one of the model's tag names, or a gtin");
    for (auto& g : p.gtins)
      if (!gtins_.insert(g).second)
        fail(line, where + "gtin",
             "codes that belong to one product only; '" + g + "' is claimed twice");
    for (auto& t : p.tags)
      if (!tags_.insert(t).second)
        fail(line, where + "tags",
             "tags that belong to one product only; '" + t + "' is claimed twice");
    if (p.max_grams && p.max_grams < p.min_grams)
      fail(line, where + "plausibleGrams", "a minimum no larger than the maximum");
    c.products.push_back(std::move(p));
  }

 private:
  std::string path_;
  std::set<std::string> ids_, tags_, gtins_;
};

// The line each element of "products" starts on: JSON parsers do not say,
// and an error that names the line is found in seconds.
std::vector<int> product_lines(const std::string& text) {
  std::vector<int> lines;
  int line = 1, depth = 0, products_depth = -1;
  bool in_string = false, escaped = false;
  std::string last_string, key;
  for (char ch : text) {
    if (ch == '\n') ++line;
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (ch == '\\')
        escaped = true;
      else if (ch == '"')
        in_string = false;
      else
        last_string += ch;
      continue;
    }
    if (ch == '"') {
      in_string = true;
      last_string.clear();
    } else if (ch == ':') {
      key = last_string;
    } else if (ch == '[' || ch == '{') {
      if (ch == '[' && depth == 1 && key == "products") products_depth = depth + 1;
      if (ch == '{' && depth == products_depth) lines.push_back(line);
      ++depth;
    } else if (ch == ']' || ch == '}') {
      --depth;
      if (depth < products_depth) products_depth = -1;
    }
  }
  return lines;
}

// "4011200296908" (EAN-13), "012345678905" (UPC-A), an EAN-8 or a GTIN-14;
// kept as 14 digits, as codes are compared.
std::string catalogue_gtin(const Checker& check, const std::string& text, int line,
                           const std::string& field) {
  auto g = gtin14(text);
  if (!g)
    check.fail(line, field,
               "a GTIN of 8, 12, 13 or 14 digits with a right check digit, not '" + text + "'");
  return *g;
}

long long minor_price(const Checker& check, const nlohmann::json& v, int line,
                      const std::string& field) {
  if (!v.is_number_integer() ||
      (v.is_number_unsigned() && v.get<unsigned long long>() > kMaxPrice) ||
      v.get<long long>() < 0 || v.get<long long>() > kMaxPrice)
    check.fail(line, field, "a whole number of minor units (e.g. 299 for 2.99), not " + v.dump());
  return v;
}

Catalogue from_json(const std::string& path) {
  std::ifstream in(path);
  std::string text{std::istreambuf_iterator<char>(in), {}};
  nlohmann::json j = read_json_file(path, "the catalogue");
  auto lines = product_lines(text);
  Checker check(path);
  Catalogue c;
  if (!j.is_object()) check.fail(0, "the top level", "an object with currency and products");
  if (j.contains("currency")) {
    if (!j["currency"].is_string() || j["currency"].get<std::string>().size() != 3)
      check.fail(0, "currency", "an ISO 4217 code such as \"USD\"");
    c.currency = j["currency"];
  }
  c.minor_units = minor_units_of(c.currency);
  if (j.contains("minorUnits")) {
    if (!j["minorUnits"].is_number_integer() || j["minorUnits"] < 0 || j["minorUnits"] > 3)
      check.fail(0, "minorUnits", "0 to 3 (digits after the decimal point)");
    c.minor_units = j["minorUnits"];
  }
  if (!j.contains("products") || !j["products"].is_array() || j["products"].empty())
    check.fail(0, "products", "a non-empty array");
  for (size_t i = 0; i < j["products"].size(); ++i) {
    const auto& p = j["products"][i];
    int line = i < lines.size() ? lines[i] : 0;
    std::string where = "products[" + std::to_string(i) + "].";
    if (!p.is_object()) check.fail(line, "products[" + std::to_string(i) + "]", "an object");
    Product prod;
    for (const char* key : {"id", "name"})
      if (!p.contains(key) || !p[key].is_string() || p[key].get<std::string>().empty())
        check.fail(line, where + key, "a non-empty string");
    prod.id = p["id"];
    prod.name = p["name"];
    if (p.contains("names")) {
      if (!p["names"].is_object())
        check.fail(line, where + "names", "{\"de-DE\": \"Banane\", ...}");
      for (auto& [locale, name] : p["names"].items()) {
        if (!name.is_string()) check.fail(line, where + "names." + locale, "a string");
        prod.names[locale] = name;
      }
    }
    if (p.contains("gtin")) {
      auto codes = p["gtin"].is_array() ? p["gtin"] : nlohmann::json::array({p["gtin"]});
      for (auto& g : codes) {
        if (!g.is_string()) check.fail(line, where + "gtin", "a string of digits, or an array");
        prod.gtins.push_back(catalogue_gtin(check, g, line, where + "gtin"));
      }
    }
    for (const char* flag : {"priceFromLabel", "packaged"})
      if (p.contains(flag) && !p[flag].is_boolean())
        check.fail(line, where + flag, "true or false");
    prod.price_from_label = p.value("priceFromLabel", false);
    prod.packaged = p.value("packaged", false) || !prod.gtins.empty();
    if (p.contains("tags") && !p["tags"].is_array())
      check.fail(line, where + "tags", "an array of the model's tag names");
    for (auto& t : p.value("tags", nlohmann::json::array())) {
      if (!t.is_string()) check.fail(line, where + "tags", "strings");
      prod.tags.push_back(t);
    }
    bool per_kg = p.contains("pricePerKg"), per_unit = p.contains("unitPrice");
    if (per_kg == per_unit)
      check.fail(line, where.substr(0, where.size() - 1),
                 "exactly one of pricePerKg or unitPrice (whole minor units, e.g. cents)");
    prod.sold_by = per_kg ? SoldBy::Weight : SoldBy::Unit;
    prod.price_minor = minor_price(check, per_kg ? p["pricePerKg"] : p["unitPrice"], line,
                                   where + (per_kg ? "pricePerKg" : "unitPrice"));
    if (p.contains("tareGrams")) {
      if (!p["tareGrams"].is_number_integer() || p["tareGrams"] < 0 || p["tareGrams"] > kMaxGrams)
        check.fail(line, where + "tareGrams",
                   "whole grams of packaging, not " + p["tareGrams"].dump());
      prod.tare_grams = p["tareGrams"];
    }
    if (p.contains("group")) {
      if (!p["group"].is_string() || p["group"].get<std::string>().empty())
        check.fail(line, where + "group", "the coarse class as spoken, e.g. \"apple\"");
      prod.group = p["group"];
    }
    if (p.contains("groupNames")) {
      if (!p["groupNames"].is_object() || prod.group.empty())
        check.fail(line, where + "groupNames", "{\"de-DE\": \"Apfel\", ...} beside \"group\"");
      for (auto& [locale, name] : p["groupNames"].items()) {
        if (!name.is_string()) check.fail(line, where + "groupNames." + locale, "a string");
        prod.group_names[locale] = name;
      }
    }
    if (p.contains("plausibleGrams")) {
      const auto& r = p["plausibleGrams"];
      if (!r.is_array() || r.size() != 2 || !r[0].is_number_integer() ||
          !r[1].is_number_integer() || r[0] < 0 || r[1] < 0 || r[0] > kMaxGrams || r[1] > kMaxGrams)
        check.fail(line, where + "plausibleGrams", "[min, max] in whole grams, not " + r.dump());
      prod.min_grams = r[0];
      prod.max_grams = r[1];
    }
    check.add(c, std::move(prod), line, where);
  }
  return c;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (char ch : s) {
    if (ch == '"')
      quoted = !quoted;
    else if (ch == sep && !quoted) {
      out.push_back(field);
      field.clear();
    } else {
      field += ch;
    }
  }
  out.push_back(field);
  for (auto& f : out) {
    f.erase(0, f.find_first_not_of(" \t\r"));
    f.erase(f.find_last_not_of(" \t\r") + 1);
  }
  return out;
}

Catalogue from_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw CatalogueError(path + ": cannot open the catalogue");
  Checker check(path);
  Catalogue c;
  std::string text;
  int line = 0;
  std::vector<std::string> header;
  while (header.empty() && std::getline(in, text)) {
    ++line;
    if (!text.empty() && text[0] != '#' && text.find_first_not_of(" \t\r") != std::string::npos)
      header = split(text, ',');
  }
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
  for (const char* required : {"id", "name"})
    if (!column.count(required))
      check.fail(line, "the header",
                 std::string("a column named '") + required + "' (and pricePerKg or unitPrice)");
  if (!column.count("tags") && !column.count("gtin"))
    check.fail(line, "the header", "a tags column, a gtin column, or both");
  if (!column.count("pricePerKg") && !column.count("unitPrice"))
    check.fail(line, "the header", "a pricePerKg or a unitPrice column");
  bool currency_set = false;
  while (std::getline(in, text)) {
    ++line;
    if (text.empty() || text[0] == '#' || text.find_first_not_of(" \t\r,") == std::string::npos)
      continue;
    auto f = split(text, ',');
    if (f.size() != header.size())
      check.fail(line, "the row",
                 std::to_string(header.size()) + " fields as in the header, found " +
                     std::to_string(f.size()));
    auto get = [&](const std::string& name) -> std::string {
      auto it = column.find(name);
      return it == column.end() ? "" : f[it->second];
    };
    auto whole = [&](const std::string& name, const std::string& expected) -> long long {
      std::string v = get(name);
      if (v.empty()) return -1;
      size_t used = 0;
      long long n = -1;
      try {
        n = std::stoll(v, &used);
      } catch (const std::exception&) {
      }
      long long most = name.find("rams") != std::string::npos ? kMaxGrams : kMaxPrice;
      if (used != v.size() || n < 0 || n > most)
        check.fail(line, name, expected + " up to " + std::to_string(most) + ", not '" + v + "'");
      return n;
    };
    Product p;
    p.id = get("id");
    p.name = get("name");
    for (auto& t : split(get("tags"), '|'))
      if (!t.empty()) p.tags.push_back(t);
    for (auto& [name, i] : column)
      if (name.rfind("name.", 0) == 0 && !f[i].empty()) p.names[name.substr(5)] = f[i];
    p.group = get("group");
    for (auto& g : split(get("gtin"), '|'))
      if (!g.empty()) p.gtins.push_back(catalogue_gtin(check, g, line, "gtin"));
    auto yes_no = [&](const std::string& name) {
      std::string v = get(name);
      if (v.empty() || v == "no" || v == "false") return false;
      if (v == "yes" || v == "true") return true;
      check.fail(line, name, "yes or no, not '" + v + "'");
    };
    p.price_from_label = yes_no("priceFromLabel");
    p.packaged = yes_no("packaged") || !p.gtins.empty();
    for (auto& [name, i] : column)
      if (name.rfind("group.", 0) == 0 && !f[i].empty()) {
        if (p.group.empty()) check.fail(line, name, "a name only where the row has a group");
        p.group_names[name.substr(6)] = f[i];
      }
    long long per_kg = whole("pricePerKg", "a whole number of minor units (e.g. 299 for 2.99)");
    long long each = whole("unitPrice", "a whole number of minor units (e.g. 299 for 2.99)");
    if ((per_kg >= 0) == (each >= 0))
      check.fail(line, "pricePerKg/unitPrice", "exactly one of the two prices on each row");
    p.sold_by = per_kg >= 0 ? SoldBy::Weight : SoldBy::Unit;
    p.price_minor = per_kg >= 0 ? per_kg : each;
    p.tare_grams = static_cast<int>(std::max(0LL, whole("tareGrams", "whole grams of packaging")));
    p.min_grams = static_cast<int>(std::max(0LL, whole("minGrams", "whole grams")));
    p.max_grams = static_cast<int>(std::max(0LL, whole("maxGrams", "whole grams")));
    if (std::string cur = get("currency"); !cur.empty()) {
      if (cur.size() != 3)
        check.fail(line, "currency", "an ISO 4217 code such as USD, not '" + cur + "'");
      if (currency_set && cur != c.currency)
        check.fail(line, "currency", "one currency for the whole catalogue (" + c.currency + ")");
      c.currency = cur;
      currency_set = true;
    }
    check.add(c, std::move(p), line, "");
  }
  if (c.products.empty()) check.fail(line, "the rows", "at least one product");
  c.minor_units = minor_units_of(c.currency);
  return c;
}

// One product per group, as Catalogue::group() describes it.
void add_groups(Catalogue& c) {
  std::map<std::string, Product> by_name;
  for (const Product& p : c.products) {
    if (p.group.empty()) continue;
    auto [it, first] = by_name.try_emplace(p.group);
    Product& g = it->second;
    if (first || p.price_minor < g.price_minor) {
      g.id = p.id;
      g.sold_by = p.sold_by;
      g.price_minor = p.price_minor;
      g.tare_grams = p.tare_grams;
    }
    if (first) {
      g.name = p.group;
      g.group = p.group;
      g.min_grams = p.min_grams;
      g.max_grams = p.max_grams;
    } else {
      g.min_grams = std::min(g.min_grams, p.min_grams);
      g.max_grams = g.max_grams && p.max_grams ? std::max(g.max_grams, p.max_grams) : 0;
    }
    for (auto& [locale, name] : p.group_names) g.names.try_emplace(locale, name);
  }
  // A group has one set of names, whichever of its rows gave them.
  for (Product& p : c.products)
    if (!p.group.empty()) p.group_names = by_name[p.group].names;
  for (auto& [name, g] : by_name) {
    g.group_names = g.names;
    c.groups.push_back(std::move(g));
  }
}

}  // namespace

namespace {

const std::string& in_locale(const std::map<std::string, std::string>& names,
                             const std::string& fallback, const std::string& locale) {
  if (auto it = names.find(locale); it != names.end()) return it->second;
  std::string language = locale.substr(0, locale.find('-'));
  for (const auto& [l, n] : names)
    if (l.substr(0, l.find('-')) == language) return n;
  return fallback;
}

}  // namespace

const std::string& Product::name_in(const std::string& locale) const {
  return in_locale(names, name, locale);
}

const std::string& Product::group_name_in(const std::string& locale) const {
  return in_locale(group_names, group, locale);
}

int minor_units_of(const std::string& currency) {
  static const std::map<std::string, int> digits{{"JPY", 0}, {"KRW", 0}, {"ISK", 0}, {"CLP", 0},
                                                 {"VND", 0}, {"KWD", 3}, {"BHD", 3}, {"OMR", 3},
                                                 {"JOD", 3}, {"TND", 3}};
  auto it = digits.find(currency);
  return it == digits.end() ? 2 : it->second;
}

Catalogue Catalogue::load(const std::string& path) {
  std::string ext = path.size() > 4 ? path.substr(path.size() - 4) : "";
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  Catalogue c = ext == ".csv" ? from_csv(path) : from_json(path);
  add_groups(c);
  return c;
}

const Product* Catalogue::group(const std::string& name) const {
  for (auto& g : groups)
    if (g.name == name) return &g;
  return nullptr;
}

const Product* Catalogue::by_gtin(const std::string& gtin14) const {
  for (auto& p : products)
    if (std::find(p.gtins.begin(), p.gtins.end(), gtin14) != p.gtins.end()) return &p;
  return nullptr;
}

const Product* Catalogue::by_id(const std::string& id) const {
  for (auto& p : products)
    if (p.id == id) return &p;
  return nullptr;
}

const Product* Catalogue::by_tag(const std::string& tag) const {
  for (auto& p : products)
    for (auto& t : p.tags)
      if (t == tag) return &p;
  return nullptr;
}

}  // namespace ce
