// Files the lane keeps: written whole or not at all, readable by its user only.
#pragma once

#include <filesystem>
#include <string>

namespace ce {

// Writes `content` to a temporary file beside `path` (0600), flushes it to
// disk and renames it over `path`: a reader, or a crash, never sees half a
// file, and a full disk leaves the old one in place. Throws naming the file.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

std::string read_file(const std::filesystem::path& path);  // throws naming the file

// Removes the oldest (by modification time) files with `extension` (".wav")
// in `dir` beyond the `keep` newest: a folder the lane writes into forever
// stays bounded. Returns how many went; errors only make it keep more.
size_t keep_newest_files(const std::filesystem::path& dir, const std::string& extension,
                         size_t keep);

}  // namespace ce
