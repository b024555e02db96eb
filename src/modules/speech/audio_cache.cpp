#include "modules/speech/audio_cache.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/checksum.h"
#include "common/files.h"

namespace ce {

namespace {

constexpr char kMagic[4] = {'C', 'E', 'A', '1'};

// Raw samples behind a small header: the cache is ours alone, and this reads
// back in one call without a WAV parser.
bool read_sound(const std::string& path, Pcm& pcm) {
  std::ifstream in(path, std::ios::binary);
  char magic[4];
  int32_t rate = 0;
  if (!in.read(magic, 4) || std::memcmp(magic, kMagic, 4) != 0) return false;
  if (!in.read(reinterpret_cast<char*>(&rate), 4) || rate <= 0) return false;
  in.seekg(0, std::ios::end);
  auto bytes = static_cast<long long>(in.tellg()) - 8;
  if (bytes < 0 || bytes % 2) return false;
  in.seekg(8);
  pcm.sample_rate = rate;
  pcm.samples.resize(static_cast<size_t>(bytes / 2));
  return static_cast<bool>(in.read(reinterpret_cast<char*>(pcm.samples.data()), bytes));
}

void write_sound(const std::string& path, const Pcm& pcm) {
  // A cache is only speed: it never takes the journal's last room.
  if (!room_for_extras(std::filesystem::path(path).parent_path())) return;
  // Written aside and renamed, so a crash never leaves half a sound to play.
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    int32_t rate = pcm.sample_rate;
    out.write(kMagic, 4);
    out.write(reinterpret_cast<const char*>(&rate), 4);
    out.write(reinterpret_cast<const char*>(pcm.samples.data()),
              static_cast<std::streamsize>(pcm.samples.size() * 2));
    if (!out) {  // a full disk costs speed, not speech
      out.close();
      std::filesystem::remove(tmp);
      return;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
}

}  // namespace

AudioCache::AudioCache(size_t memory_entries, std::string dir, size_t disk_entries)
    : capacity_(memory_entries ? memory_entries : 1),
      disk_capacity_(disk_entries ? disk_entries : 1),
      dir_(std::move(dir)) {
  if (dir_.empty()) return;
  std::filesystem::create_directories(dir_);
  keep_newest_files(dir_, ".pcm", disk_capacity_);
}

std::string AudioCache::file_for(const std::string& key) const {
  return (std::filesystem::path(dir_) / (sha256_of_text(key) + ".pcm")).string();
}

std::shared_ptr<const Pcm> AudioCache::remember(const std::string& key,
                                                std::shared_ptr<const Pcm> pcm) {
  order_.emplace_front(key, pcm);
  index_[key] = order_.begin();
  if (order_.size() > capacity_) {
    index_.erase(order_.back().first);
    order_.pop_back();
  }
  return pcm;
}

std::shared_ptr<const Pcm> AudioCache::sound(Voice& voice, const std::string& text, bool* found,
                                             bool keep_on_disk) {
  std::string key = voice.name() + "\n" + text;
  {
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      if (found) *found = true;
      return it->second->second;
    }
  }
  auto pcm = std::make_shared<Pcm>();
  bool on_disk = !dir_.empty() && read_sound(file_for(key), *pcm);
  if (on_disk) {
    // Used now: the last to go when the folder is trimmed.
    std::error_code ec;
    std::filesystem::last_write_time(file_for(key), std::filesystem::file_time_type::clock::now(),
                                     ec);
  } else {
    *pcm = voice.synthesize(text);
    if (!dir_.empty() && keep_on_disk) {
      write_sound(file_for(key), *pcm);
      if (++written_ % 64 == 0) keep_newest_files(dir_, ".pcm", disk_capacity_);
    }
  }
  if (found) *found = on_disk;
  std::lock_guard lock(mutex_);
  return remember(key, std::move(pcm));
}

}  // namespace ce
