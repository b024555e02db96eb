#include <atomic>
#include <random>

#include "checkout-edge/module.h"
#include "common/json_file.h"

namespace ce {

long long now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string new_message_id() {
  // A random prefix per process plus a counter: unique across restarts and
  // modules without coordination.
  static const std::string prefix = [] {
    std::random_device rd;
    char buf[17];
    snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
    return std::string(buf);
  }();
  static std::atomic<unsigned long long> counter{0};
  return prefix + "-" + std::to_string(++counter);
}

static Message stamped(std::string body, std::string content_type) {
  Message m;
  m.body = std::move(body);
  m.properties["messageId"] = new_message_id();
  m.properties["timestamp"] = std::to_string(now_ms());
  m.properties["contentType"] = std::move(content_type);
  return m;
}

Message Message::with_json(const nlohmann::json& body) {
  return stamped(body.dump(), "application/json");
}

Message Message::with_bytes(std::string bytes, std::string content_type) {
  return stamped(std::move(bytes), std::move(content_type));
}

nlohmann::json Message::json() const { return parse_json_text(body, "the message body"); }

std::string Message::property(const std::string& name, const std::string& fallback) const {
  auto it = properties.find(name);
  return it == properties.end() ? fallback : it->second;
}

long long Message::timestamp_ms() const {
  try {
    return std::stoll(property("timestamp", "0"));
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace ce
