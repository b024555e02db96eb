// A local web server laid out as ../shared, standing in for the shared
// files' origins (this machine reaches none): it serves a folder, answers
// byte ranges, and remembers each request's path and Range header.
#pragma once

#include <httplib.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ce::testing_support {

class FileMirror {
 public:
  explicit FileMirror(const std::string& folder) {
    server_.set_mount_point("/", folder);
    server_.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      std::lock_guard lock(mutex_);
      heard_.push_back(req.path + " " + req.get_header_value("Range") + " -> " +
                       std::to_string(res.status));
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Bound already: connections wait in the backlog until it listens.
  }
  ~FileMirror() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // "PATH RANGE -> STATUS", one per request, in order.
  std::vector<std::string> heard() {
    std::lock_guard lock(mutex_);
    return heard_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> heard_;
};

}  // namespace ce::testing_support
