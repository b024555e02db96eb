// A store's lanes side by side, from the telemetry their runtimes send
// upstream (docs/telemetry.md): `checkout-edge monitor --lanes`.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace ce {

class LanesView {
 public:
  // One upstream message: its user properties (laneId, storeId,
  // connectionModuleId, outputName) and its JSON body.
  void add(const nlohmann::json& properties, const nlohmann::json& body, long long now_ms);
  std::string table(long long now_ms) const;
  nlohmann::json to_json() const;
  size_t lanes() const { return lanes_.size(); }

 private:
  struct Lane {
    std::string store, lane;
    long long last_seen_ms = 0;
    long long messages = 0;
    nlohmann::json modules = nlohmann::json::object();  // name: {status, health, restarts}
    nlohmann::json basket;                              // the newest
    long long scans = 0;
    nlohmann::json last_scan;  // {tagName, probability, iteration}
  };
  std::map<std::string, Lane> lanes_;  // by "store/lane"
};

}  // namespace ce
