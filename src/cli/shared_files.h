// The shared datasets and models the demo, the default training and the
// tests read: where each comes from (assets/shared-files.json: its origin,
// size and SHA-256), where it is found (../shared, or the cache this fills),
// and fetching what is missing, checked against its hash.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "common/shared_cache.h"

namespace ce {

struct SharedFile {
  std::string path;  // inside the shared folder: datasets/grocery-store/val/...
  long long size = 0;
  std::string sha256;
  std::vector<std::string> uses;  // "demo", "training", "tests"
  std::string origin_url;         // empty: no public copy of its own
  std::string made_from;          // for those: what it was made from
};

class SharedFiles {
 public:
  // Reads the manifest; a missing or malformed one throws naming it.
  static SharedFiles load(const std::string& manifest_path);
  // The files `use` needs ("demo", "training", "tests"; "all" for every one).
  std::vector<SharedFile> needed_for(const std::string& use) const;

 private:
  std::vector<SharedFile> files_;
};

// Those of `files` that `folder` lacks (or holds at another size).
std::vector<SharedFile> missing_from(const std::filesystem::path& folder,
                                     const std::vector<SharedFile>& files);

struct FetchReport {
  int fetched = 0, copied = 0, present = 0;
  std::vector<std::string> problems;  // one line per file not fetched: which, and why
};

// Fills the cache with `files`: a copy from `shared` where it has the file,
// else a download from `mirror` (a server laid out as ../shared) when
// given, else from the file's origin. A cut download resumes; a file whose
// SHA-256 differs is refused and never used.
FetchReport fetch_shared_files(const std::vector<SharedFile>& files,
                               const std::filesystem::path& shared, const std::string& mirror,
                               std::ostream& progress);

// The folder holding every file of `use`: `shared`, else the cache, else
// (fetching what is missing) the cache; throws, naming the missing files
// and where to put them, when they cannot be had.
std::string folder_with_shared_files(const std::string& use, const std::string& shared,
                                     std::ostream& progress);

// "the demo", "the default training", "the tests", "everything".
std::string needer(const std::string& use);

// What to tell a user who lacks `missing`: the first few by name, and the
// ways to provide them.
std::string how_to_provide(const std::vector<SharedFile>& missing, const std::string& shared,
                           const std::string& use);

}  // namespace ce
