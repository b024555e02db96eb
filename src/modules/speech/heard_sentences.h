// The sentences said to their end lately, kept across restarts: a sentence
// the checkout sends again (it restarted, or the hub lost speech's report,
// before it heard so) is reported heard, not said twice, even by a speech
// module that was killed and started again in between.
#pragma once

#include <deque>
#include <filesystem>
#include <mutex>
#include <string>

namespace ce {

class HeardSentences {
 public:
  // `file` empty: remembered only while the process lives.
  explicit HeardSentences(std::filesystem::path file);
  bool contains(const std::string& id) const;
  // Kept on disk before it returns, unless the disk refuses (then in
  // memory, said once in the log).
  void add(const std::string& id);

 private:
  static constexpr size_t kKept = 256;
  std::filesystem::path file_;
  mutable std::mutex mutex_;
  std::deque<std::string> ids_;
  bool write_failed_ = false;
};

}  // namespace ce
