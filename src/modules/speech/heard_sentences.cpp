#include "modules/speech/heard_sentences.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/files.h"

namespace ce {

HeardSentences::HeardSentences(std::filesystem::path file) : file_(std::move(file)) {
  if (file_.empty() || !std::filesystem::exists(file_)) return;
  try {
    for (const auto& id : nlohmann::json::parse(read_file(file_)))
      if (id.is_string()) ids_.push_back(id.get<std::string>());
  } catch (const std::exception& e) {
    // Only a guard against repeats: a damaged list is started afresh.
    std::cerr << "speech: starting a new list of sentences heard (" << file_.string()
              << " could not be read: " << e.what() << ")\n";
    ids_.clear();
  }
  while (ids_.size() > kKept) ids_.pop_front();
}

bool HeardSentences::contains(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return !id.empty() && std::find(ids_.begin(), ids_.end(), id) != ids_.end();
}

void HeardSentences::add(const std::string& id) {
  if (id.empty()) return;
  std::lock_guard lock(mutex_);
  ids_.push_back(id);
  if (ids_.size() > kKept) ids_.pop_front();
  if (file_.empty()) return;
  try {
    // No fsync: it guards against a kill, and the next sentence waits for it.
    write_file_atomically(file_, nlohmann::json(ids_).dump() + "\n", false);
    write_failed_ = false;
  } catch (const std::exception& e) {
    if (!write_failed_)
      std::cerr << "speech: cannot keep the sentences heard (" << e.what()
                << "); a restart may say the last one again\n";
    write_failed_ = true;
  }
}

}  // namespace ce
