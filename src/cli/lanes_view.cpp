#include "cli/lanes_view.h"

#include <cstdio>
#include <iomanip>
#include <sstream>

namespace ce {

namespace {

std::string money(const nlohmann::json& basket) {
  long long minor = basket.value("totalMinor", 0LL);
  int units = basket.value("minorUnits", 2);
  long long scale = 1;
  for (int i = 0; i < units; ++i) scale *= 10;
  std::ostringstream s;
  s << basket.value("currency", "") << " " << minor / scale;
  if (units > 0) s << "." << std::setw(units) << std::setfill('0') << minor % scale;
  return s.str();
}

std::string text(const nlohmann::json& j) {
  return j.is_string() ? j.get<std::string>() : j.is_null() ? "" : j.dump();
}

}  // namespace

void LanesView::add(const nlohmann::json& properties, const nlohmann::json& body,
                    long long now_ms) {
  std::string lane_id = properties.value("laneId", "?");
  std::string store = properties.value("storeId", "?");
  Lane& lane = lanes_[store + "/" + lane_id];
  lane.store = store;
  lane.lane = lane_id;
  lane.last_seen_ms = now_ms;
  ++lane.messages;
  if (!body.is_object()) return;
  std::string output = properties.value("outputName", "");
  if (output == "moduleStatus" && body.contains("modules") && body["modules"].is_object()) {
    lane.modules = body["modules"];
  } else if (output == "basket" && body.contains("lines")) {
    lane.basket = body;
  } else if (output == "predictions" && body.contains("predictions") &&
             body["predictions"].is_array()) {
    ++lane.scans;
    const auto& top =
        body["predictions"].empty() ? nlohmann::json::object() : body["predictions"].front();
    double p = top.contains("probability") && top["probability"].is_number()
                   ? top["probability"].get<double>()
                   : 0.0;
    lane.last_scan = {{"tagName", text(top.value("tagName", nlohmann::json()))},
                      {"probability", p},
                      {"iteration", text(body.value("iteration", nlohmann::json()))}};
  }
}

std::string LanesView::table(long long now_ms) const {
  std::ostringstream out;
  out << std::left << std::setw(12) << "STORE" << std::setw(12) << "LANE" << std::setw(7) << "SEEN"
      << std::setw(14) << "MODULES" << std::setw(26) << "BASKET" << std::setw(7) << "SCANS"
      << "LAST SCAN\n";
  for (const auto& [key, l] : lanes_) {
    int up = 0, all = 0;
    std::string down;
    for (auto& [name, m] : l.modules.items()) {
      ++all;
      bool ok = m.value("status", "") == "running" && m.value("health", "") != "unhealthy";
      if (ok)
        ++up;
      else
        down += (down.empty() ? " " : ",") + name;
    }
    std::string modules = all ? std::to_string(up) + "/" + std::to_string(all) + " up" + down : "-";
    std::string basket = "-";
    if (l.basket.is_object()) {
      int lines = 0;
      for (auto& line : l.basket["lines"])
        if (!line.value("voided", false)) ++lines;
      basket = "#" + std::to_string(l.basket.value("basket", 0LL)) + " " +
               l.basket.value("status", "") + " " + std::to_string(lines) + " lines " +
               money(l.basket);
    }
    std::string scan = "-";
    if (l.last_scan.is_object()) {
      char p[16];
      snprintf(p, sizeof p, "%.2f", l.last_scan.value("probability", 0.0));
      scan = l.last_scan.value("tagName", "") + " " + p + " (" +
             l.last_scan.value("iteration", "") + ")";
    }
    out << std::setw(12) << l.store << std::setw(12) << l.lane << std::setw(7)
        << (std::to_string((now_ms - l.last_seen_ms) / 1000) + "s") << std::setw(14) << modules
        << std::setw(26) << basket << std::setw(7) << l.scans << scan << "\n";
  }
  return out.str();
}

nlohmann::json LanesView::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [key, l] : lanes_)
    out.push_back({{"store", l.store},
                   {"lane", l.lane},
                   {"lastSeenMs", l.last_seen_ms},
                   {"messages", l.messages},
                   {"modules", l.modules},
                   {"basket", l.basket},
                   {"scans", l.scans},
                   {"lastScan", l.last_scan}});
  return out;
}

}  // namespace ce
