// The hub's router (IoT Edge's edgeHub role): copies each module output to
// the inputs that the routes name, keeping the message's properties, and
// hands `$upstream` messages to the store-and-forward queue.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "hub/hub_client.h"
#include "runtime/routes.h"

namespace ce {

class Router {
 public:
  using UpstreamSink = std::function<void(const Message&)>;

  Router(HubClient& hub, std::vector<Route> routes, UpstreamSink upstream);
  void set_routes(std::vector<Route> routes);  // a deployment changed them
  long long routed() const { return routed_; }
  long long unrouted() const { return unrouted_; }

 private:
  void on_output(const std::string& topic, const Message& message);
  HubClient& hub_;
  std::mutex mutex_;
  std::vector<Route> routes_;
  UpstreamSink upstream_;
  std::atomic<long long> routed_{0}, unrouted_{0};
};

}  // namespace ce
