// The hub's router (IoT Edge's edgeHub role): copies each module output to
// the inputs that the routes name, keeping the message's properties.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "hub/hub_client.h"
#include "runtime/routes.h"

namespace ce {

class Router {
 public:
  Router(HubClient& hub, std::vector<Route> routes);
  long long routed() const { return routed_; }
  long long unrouted() const { return unrouted_; }

 private:
  void on_output(const std::string& topic, const Message& message);
  HubClient& hub_;
  std::vector<Route> routes_;
  std::atomic<long long> routed_{0}, unrouted_{0};
};

}  // namespace ce
