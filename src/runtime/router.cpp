#include "runtime/router.h"

#include <iostream>

#include "hub/topics.h"

namespace ce {

Router::Router(HubClient& hub, std::vector<Route> routes, UpstreamSink upstream)
    : hub_(hub), routes_(std::move(routes)), upstream_(std::move(upstream)) {
  hub_.subscribe(topics::all_outputs,
                 [this](const std::string& topic, const Message& m) { on_output(topic, m); });
}

void Router::set_routes(std::vector<Route> routes) {
  std::lock_guard lock(mutex_);
  routes_ = std::move(routes);
}

void Router::on_output(const std::string& topic, const Message& message) {
  // modules/<module>/outputs/<output>
  auto a = topic.find('/'), b = topic.find('/', a + 1), c = topic.find('/', b + 1);
  if (a == std::string::npos || b == std::string::npos || c == std::string::npos) return;
  std::string module = topic.substr(a + 1, b - a - 1), output = topic.substr(c + 1);
  std::vector<Route> routes;
  {
    std::lock_guard lock(mutex_);
    routes = routes_;
  }
  bool any = false;
  for (auto& r : routes) {
    if (!r.matches(module, output, message.properties)) continue;
    any = true;
    try {
      if (r.to_upstream) {
        // IoT Edge's system properties: where the message came from.
        Message up = message;
        up.properties["connectionModuleId"] = module;
        up.properties["outputName"] = output;
        upstream_(up);
      } else {
        // "retain": the latest such message waits at the input for a module
        // that subscribes later (started after, or restarted): the
        // checkout's vocabulary reaches a speech module whenever it starts.
        bool keep = message.property("retain") == "true";
        int qos = message.property("delivery") == "latest" ? 0 : 1;
        hub_.publish(topics::input(r.to_module, r.to_input), message, qos, keep);
      }
    } catch (const std::exception& e) {
      std::cerr << "router: route " << r.name << ": " << e.what() << "\n";
    }
  }
  ++(any ? routed_ : unrouted_);
}

}  // namespace ce
