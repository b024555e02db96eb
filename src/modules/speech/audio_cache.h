// Sounds already made, in memory (most recent first) and on disk, keyed by
// engine, voice and text: product names and the fixed parts of sentences are
// made once, and a restarted module does not make them again.
#pragma once

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "modules/speech/voice.h"

namespace ce {

class AudioCache {
 public:
  // `dir` empty: memory only. On disk, the `disk_entries` used last are
  // kept: a catalogue renamed every season does not fill the disk.
  AudioCache(size_t memory_entries, std::string dir, size_t disk_entries = 5000);

  // The sound of `text` in `voice`, made only if neither memory nor disk has
  // it. `found`, when given, says whether it was already made. A sound made
  // here goes to disk only if `keep_on_disk`: the prepared vocabulary, not
  // every weight and price ever said, which would fill the disk in a year.
  std::shared_ptr<const Pcm> sound(Voice& voice, const std::string& text, bool* found = nullptr,
                                   bool keep_on_disk = true);
  const std::string& dir() const { return dir_; }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const Pcm>>;
  std::shared_ptr<const Pcm> remember(const std::string& key, std::shared_ptr<const Pcm> pcm);
  std::string file_for(const std::string& key) const;

  size_t capacity_, disk_capacity_;
  std::string dir_;
  std::atomic<size_t> written_{0};
  std::mutex mutex_;
  std::list<Entry> order_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace ce
