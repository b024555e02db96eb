#include "runtime/log_collector.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <fstream>

#include "checkout-edge/module.h"
#include "common/files.h"

namespace ce {

std::string log_timestamp(long long ms) {
  time_t secs = ms / 1000;
  tm t{};
  gmtime_r(&secs, &t);
  char buf[40];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
  snprintf(buf + n, sizeof buf - n, ".%03lldZ", ms % 1000);
  return buf;
}

long long parse_log_timestamp(const std::string& line) {
  tm t{};
  int millis = 0;
  if (line.size() < 24 || line[23] != 'Z') return -1;
  const char* rest = strptime(line.c_str(), "%Y-%m-%dT%H:%M:%S", &t);
  if (!rest || sscanf(rest, ".%3dZ", &millis) != 1) return -1;
  return static_cast<long long>(timegm(&t)) * 1000 + millis;
}

std::vector<std::string> log_files_oldest_first(const std::filesystem::path& log) {
  std::vector<std::string> files;
  for (int i = 99; i >= 1; --i) {
    auto rotated = log.string() + "." + std::to_string(i);
    if (std::filesystem::exists(rotated)) files.push_back(rotated);
  }
  if (std::filesystem::exists(log)) files.push_back(log.string());
  return files;
}

LogCollector::LogCollector(std::filesystem::path dir, LogLimits limits)
    : dir_(std::move(dir)), limits_(limits) {
  std::filesystem::create_directories(dir_);
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0)
    throw std::runtime_error(std::string("cannot create a pipe for the log collector: ") +
                             strerror(errno));
  thread_ = std::thread([this] { run(); });
}

LogCollector::~LogCollector() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  (void)!write(wake_[1], "x", 1);
  thread_.join();
  close(wake_[0]);
  close(wake_[1]);
}

void LogCollector::add(const std::string& module, int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  {
    std::lock_guard lock(mutex_);
    pending_.push_back({module, fd, {}});
  }
  (void)!write(wake_[1], "x", 1);
}

void LogCollector::set_limits(LogLimits limits) {
  std::lock_guard lock(mutex_);
  limits_ = limits;
}

bool LogCollector::room_for_logs() {
  if (long long now = now_ms(); now - room_checked_ms_ >= 1000) {
    room_ = room_for_extras(dir_);
    room_checked_ms_ = now;
  }
  return room_;
}

void LogCollector::write_line(const std::string& module, const std::string& line) {
  LogLimits limits;
  {
    std::lock_guard lock(mutex_);
    limits = limits_;
  }
  auto path = dir_ / (module + ".log");
  std::string stamped = log_timestamp(now_ms()) + " " + line + "\n";
  OpenLog& log = open_[module];
  if (!room_for_logs()) {
    ++log.dropped;
    return;
  }
  if (log.dropped) {
    stamped = log_timestamp(now_ms()) + " [checkout-edge: " + std::to_string(log.dropped) +
              " line(s) not kept: the disk was nearly full]\n" + stamped;
    log.dropped = 0;
  }
  if (!log.out.is_open()) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    log.size = ec ? 0 : size;
    log.out.open(path, std::ios::app | std::ios::binary);
  }
  if (log.size + stamped.size() > limits.max_bytes) {
    log.out.close();
    std::error_code ec;
    if (limits.files > 1) {
      std::filesystem::remove(path.string() + "." + std::to_string(limits.files - 1), ec);
      for (int i = limits.files - 2; i >= 1; --i)
        std::filesystem::rename(path.string() + "." + std::to_string(i),
                                path.string() + "." + std::to_string(i + 1), ec);
      std::filesystem::rename(path, path.string() + ".1", ec);
      log.out.open(path, std::ios::app | std::ios::binary);
    } else {
      log.out.open(path, std::ios::trunc | std::ios::binary);
    }
    log.size = 0;
  }
  // Flushed per line: `logs -f` in another shell reads as lines arrive.
  log.out << stamped << std::flush;
  log.size += stamped.size();
}

void LogCollector::run() {
  std::vector<Source> sources;
  bool stopping = false;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      for (auto& s : pending_) sources.push_back(std::move(s));
      pending_.clear();
      stopping = stopping_;
    }
    std::vector<pollfd> fds{{wake_[0], POLLIN, 0}};
    for (auto& s : sources) fds.push_back({s.fd, POLLIN, 0});
    // When stopping, drain what the pipes hold without waiting for more.
    if (poll(fds.data(), fds.size(), stopping ? 0 : -1) < 0 && errno != EINTR) break;
    if (fds[0].revents) {
      char buf[64];
      while (read(wake_[0], buf, sizeof buf) > 0) {
      }
    }
    bool any_data = false;
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      Source& s = sources[i - 1];
      char buf[8192];
      ssize_t n;
      while ((n = read(s.fd, buf, sizeof buf)) > 0) {
        any_data = true;
        s.partial.append(buf, n);
        size_t start = 0, nl;
        while ((nl = s.partial.find('\n', start)) != std::string::npos) {
          write_line(s.module, s.partial.substr(start, nl - start));
          start = nl + 1;
        }
        s.partial.erase(0, start);
        if (s.partial.size() > 65536) {  // a line without end: write it in pieces
          write_line(s.module, s.partial);
          s.partial.clear();
        }
      }
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        if (!s.partial.empty()) write_line(s.module, s.partial);
        close(s.fd);
        s.fd = -1;
      }
    }
    std::erase_if(sources, [](auto& s) { return s.fd < 0; });
    if (stopping && !any_data) break;
  }
  for (auto& s : sources) {
    if (!s.partial.empty()) write_line(s.module, s.partial);
    close(s.fd);
  }
}

}  // namespace ce
