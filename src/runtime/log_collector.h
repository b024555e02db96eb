// Collects each module's stdout and stderr through a pipe and writes it to
// logs/<module>.log, every line stamped with the time it arrived (so `logs
// --since` works), rotating at a size cap so a chatty module cannot fill
// the disk: <module>.log, <module>.log.1, ... <module>.log.<files-1>.
#pragma once

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ce {

struct LogLimits {
  size_t max_bytes = 10 * 1024 * 1024;  // per file
  int files = 3;                        // the current one included
};

class LogCollector {
 public:
  LogCollector(std::filesystem::path dir, LogLimits limits);
  ~LogCollector();  // reads what is left in the pipes, then stops
  LogCollector(const LogCollector&) = delete;
  LogCollector& operator=(const LogCollector&) = delete;

  // Takes the read end of a module's output pipe; closed when it ends.
  void add(const std::string& module, int fd);
  void set_limits(LogLimits limits);

 private:
  struct Source {
    std::string module;
    int fd;
    std::string partial;
  };
  void run();
  void write_line(const std::string& module, const std::string& line);

  struct OpenLog {
    std::ofstream out;
    size_t size = 0;
    size_t dropped = 0;  // lines not written while the disk was nearly full
  };
  // Measured at most once a second: a busy module logs many lines.
  bool room_for_logs();
  long long room_checked_ms_ = 0;
  bool room_ = true;
  std::map<std::string, OpenLog> open_;  // used by the collecting thread only

  std::filesystem::path dir_;
  std::mutex mutex_;
  LogLimits limits_;
  std::vector<Source> pending_;  // added, not yet polled
  int wake_[2] = {-1, -1};
  bool stopping_ = false;
  std::thread thread_;
};

// All lines of a module's log files, oldest first.
std::vector<std::string> log_files_oldest_first(const std::filesystem::path& log);
// "2026-11-25T10:00:00.123Z": the stamp each log line starts with.
std::string log_timestamp(long long ms);
// The stamp's time, or -1 when the line does not start with one.
long long parse_log_timestamp(const std::string& line);

}  // namespace ce
