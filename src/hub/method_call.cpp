#include "hub/method_call.h"

#include <condition_variable>
#include <mutex>
#include <optional>

#include "hub/admin_auth.h"
#include "hub/hub_client.h"
#include "hub/topics.h"

namespace ce {

MethodResult call_method(HubClient& hub, const std::string& caller, const std::string& module,
                         const std::string& method, const nlohmann::json& payload,
                         std::chrono::milliseconds timeout, const std::string& admin_key) {
  struct Shared {
    std::mutex mutex;
    std::condition_variable cv;
    std::optional<MethodResult> result;
  };
  auto shared = std::make_shared<Shared>();
  std::string request_id = new_message_id();
  std::string reply_topic = topics::method_reply(caller, request_id);
  hub.subscribe(reply_topic, [shared](const std::string&, const Message& m) {
    MethodResult r;
    r.status = std::atoi(m.property("status", "500").c_str());
    try {
      r.payload = m.body.empty() ? nlohmann::json::object() : m.json();
    } catch (const std::exception&) {
      r.payload = m.body;
    }
    std::lock_guard lock(shared->mutex);
    shared->result = std::move(r);
    shared->cv.notify_all();
  });
  Message request = Message::with_json(payload);
  request.properties["replyTo"] = reply_topic;
  request.properties["requestId"] = request_id;
  if (!admin_key.empty()) sign_admin_request(request, method, admin_key);
  hub.publish(topics::method(module, method), request);
  std::unique_lock lock(shared->mutex);
  bool answered = shared->cv.wait_for(lock, timeout, [&] { return shared->result.has_value(); });
  lock.unlock();
  hub.unsubscribe(reply_topic);
  if (!answered)
    throw MethodTimeout("module '" + module + "' did not answer method '" + method + "' within " +
                        std::to_string(timeout.count() / 1000.0).substr(0, 4) +
                        " s; is it running? (`checkout-edge list`)");
  return *shared->result;
}

void reply_to_method(HubClient& hub, const Message& request, const MethodResult& result) {
  std::string reply_to = request.property("replyTo");
  if (reply_to.empty()) return;
  Message reply = Message::with_json(result.payload);
  reply.properties["status"] = std::to_string(result.status);
  reply.properties["requestId"] = request.property("requestId");
  hub.publish(reply_to, reply);
}

}  // namespace ce
