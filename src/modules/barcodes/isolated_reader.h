// The code reader in a process of its own (`checkout-edge read-codes-worker`):
// a frame that makes the library abort costs a new worker and a careful
// second try of that frame, never the module or the command that asked.
#pragma once

#include <sys/types.h>

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "modules/barcodes/code_reader.h"

namespace ce {

class IsolatedCodeReader {
 public:
  // `program`: a checkout-edge to run the worker with; empty: this program.
  explicit IsolatedCodeReader(std::string program = {});
  ~IsolatedCodeReader();
  IsolatedCodeReader(const IsolatedCodeReader&) = delete;
  IsolatedCodeReader& operator=(const IsolatedCodeReader&) = delete;

  struct Reading {
    std::vector<CodeRead> codes;
    int worker_deaths = 0;  // 1: the thorough read killed the worker and the careful one read
  };
  // `grey`: 8-bit, one channel. Throws std::runtime_error only when no
  // worker can be started at all.
  Reading read(const cv::Mat& grey);
  // Workers lost since this reader started (aborted, or stuck past 5 s).
  int worker_deaths() const { return deaths_; }

 private:
  bool ask(const cv::Mat& grey, ReadEffort effort, std::vector<CodeRead>& codes);
  void start();
  void stop();
  std::string program_;
  pid_t pid_ = -1;
  int socket_ = -1;
  int deaths_ = 0;
};

// The worker's loop: requests on standard input, answers on standard output,
// until standard input closes.
int run_code_reader_worker();

}  // namespace ce
