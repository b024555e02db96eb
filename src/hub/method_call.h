// Calling a module's direct method over the hub and waiting for its reply.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "checkout-edge/module.h"

namespace ce {

class HubClient;

struct MethodTimeout : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `caller` names this client in the reply topic; it must be unique on the hub.
// With `admin_key`, the request is signed as the lane's administrator's
// (hub/admin_auth.h). Throws MethodTimeout naming the module and method if
// no reply comes in time.
MethodResult call_method(HubClient& hub, const std::string& caller, const std::string& module,
                         const std::string& method, const nlohmann::json& payload,
                         std::chrono::milliseconds timeout, const std::string& admin_key = "");

// For code that answers methods itself rather than through ModuleClient
// (the runtime): publish `result` as the reply to `request`.
void reply_to_method(HubClient& hub, const Message& request, const MethodResult& result);

}  // namespace ce
