// Files the lane keeps: written whole or not at all, readable by its user only.
#pragma once

#include <filesystem>
#include <string>

namespace ce {

// Writes `content` to a temporary file beside `path` (0600), flushes it to
// disk and renames it over `path`: a reader, or a crash, never sees half a
// file, and a full disk leaves the old one in place. Throws naming the file.
// `sync` false: whole or not at all after a kill, not after a power cut
// (no fsync), for small guards written on a latency path.
void write_file_atomically(const std::filesystem::path& path, const std::string& content,
                           bool sync = true);

std::string read_file(const std::filesystem::path& path);  // throws naming the file

// Removes the oldest (by modification time) files with `extension` (".wav")
// in `dir` beyond the `keep` newest: a folder the lane writes into forever
// stays bounded. Returns how many went; errors only make it keep more.
size_t keep_newest_files(const std::filesystem::path& dir, const std::string& extension,
                         size_t keep);

// Whether what is only nice to keep (logs, recordings) may still be written
// to the disk holding `path`: not when that would leave it less than the
// smaller of 100 MB and a tenth of the disk, so the basket journal and the
// runtime's state keep their room. True when the disk cannot be measured.
bool room_for_extras(const std::filesystem::path& path);

}  // namespace ce
