#include "modules/checkout/receipt.h"

#include <cstdio>
#include <ctime>

namespace ce {

std::string format_amount(long long minor, int minor_units) {
  std::string sign = minor < 0 ? "-" : "";
  long long v = minor < 0 ? -minor : minor, scale = 1;
  for (int i = 0; i < minor_units; ++i) scale *= 10;
  std::string out = sign + std::to_string(v / scale);
  if (minor_units > 0) out += "." + std::to_string(scale + v % scale).substr(1);
  return out;
}

nlohmann::json make_receipt(long long basket_id, const std::vector<BasketLine>& lines,
                            long long tendered_minor, const std::string& currency, int minor_units,
                            long long paid_ms) {
  nlohmann::json items = nlohmann::json::array();
  long long total = 0;
  for (const BasketLine& l : lines) {
    total += l.price_minor;
    items.push_back({{"line", l.line_no},
                     {"productId", l.product_id},
                     {"name", l.name},
                     {"byWeight", l.by_weight},
                     {"grams", l.by_weight ? l.grams : 0},
                     {"quantity", l.quantity},
                     {"unitPriceMinor", l.unit_price_minor},
                     {"priceMinor", l.price_minor}});
  }
  return {{"basket", basket_id},
          {"paidMs", paid_ms},
          {"currency", currency},
          {"minorUnits", minor_units},
          {"lines", items},
          {"totalMinor", total},
          {"tenderedMinor", tendered_minor},
          {"changeMinor", tendered_minor - total}};
}

std::string receipt_text(const nlohmann::json& r) {
  int units = r.at("minorUnits");
  auto money = [&](long long v) { return format_amount(v, units); };
  auto row = [](const std::string& left, const std::string& right) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%-30.30s %10s\n", left.c_str(), right.c_str());
    return std::string(buf);
  };
  std::time_t paid = r.at("paidMs").get<long long>() / 1000;
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", std::localtime(&paid));
  std::string out = "Receipt " + std::to_string(r.at("basket").get<long long>()) + "   " + when +
                    "\n" + std::string(41, '-') + "\n";
  for (const auto& l : r.at("lines")) {
    out += row(l.at("name").get<std::string>(), money(l.at("priceMinor")));
    long long unit = l.at("unitPriceMinor");
    if (l.at("byWeight").get<bool>())
      out += row(
          "  " + format_amount(l.at("grams").get<long long>(), 3) + " kg @ " + money(unit) + "/kg",
          "");
    else if (l.at("quantity").get<long long>() != 1)
      out +=
          row("  " + std::to_string(l.at("quantity").get<long long>()) + " x " + money(unit), "");
  }
  std::string currency = r.at("currency");
  out += std::string(41, '-') + "\n";
  out += row("TOTAL " + currency, money(r.at("totalMinor")));
  out += row("Tendered", money(r.at("tenderedMinor")));
  out += row("Change", money(r.at("changeMinor")));
  return out;
}

}  // namespace ce
