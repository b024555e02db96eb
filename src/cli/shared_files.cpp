#include "cli/shared_files.h"

#include <curl/curl.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>

#include "common/checksum.h"

namespace fs = std::filesystem;

namespace ce {

namespace {

std::string filled(std::string text, const nlohmann::json& values) {
  for (auto& [key, value] : values.items()) {
    std::string mark = "{" + key + "}";
    for (size_t at; (at = text.find(mark)) != std::string::npos;)
      text.replace(at, mark.size(), value.is_string() ? value.get<std::string>() : value.dump());
  }
  return text;
}

// Spaces and the like in an origin's path ("fruits model/model.pb").
std::string escaped_path(const std::string& path) {
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || std::string("/-._~").find(static_cast<char>(c)) != std::string::npos) {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

size_t write_to_file(char* data, size_t size, size_t count, void* file) {
  return std::fwrite(data, size, count, static_cast<FILE*>(file)) * size;
}

struct Download {
  std::string error;         // empty: done
  bool unreachable = false;  // the server was not reached at all
};

// Appends `url` to `part` from its current size.
Download download(const std::string& url, const fs::path& part) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::error_code ec;
    long long have = fs::exists(part) ? static_cast<long long>(fs::file_size(part, ec)) : 0;
    FILE* out = std::fopen(part.c_str(), have ? "ab" : "wb");
    if (!out) return {"cannot write " + part.string()};
    CURL* curl = curl_easy_init();
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_to_file);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    // A stalled transfer (under 1 kB/s for 30 s) is cut, to be resumed later.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 30L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(have));
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_cleanup(curl);
    std::fclose(out);
    if (rc == CURLE_OK) return {};
    // A server that cannot resume sends the whole file: start again.
    if (rc == CURLE_RANGE_ERROR && have > 0) {
      fs::remove(part, ec);
      continue;
    }
    return {error[0] ? error : curl_easy_strerror(rc), rc == CURLE_COULDNT_RESOLVE_HOST ||
                                                           rc == CURLE_COULDNT_CONNECT ||
                                                           rc == CURLE_OPERATION_TIMEDOUT};
  }
  return {"the server could not resume it"};
}

}  // namespace

SharedFiles SharedFiles::load(const std::string& manifest_path) {
  std::ifstream in(manifest_path);
  if (!in)
    throw std::runtime_error("cannot read " + manifest_path +
                             " (the list of shared files and their origins)");
  nlohmann::json m = nlohmann::json::parse(in, nullptr, false);
  if (!m.is_object() || !m["files"].is_array())
    throw std::runtime_error(manifest_path + " is not a list of shared files");
  SharedFiles out;
  const std::string url = m.value("originUrl", "");
  for (const auto& f : m["files"]) {
    SharedFile s;
    s.path = f.at("path");
    s.size = f.at("size");
    s.sha256 = f.at("sha256");
    s.uses = f.value("uses", std::vector<std::string>{});
    if (f.contains("source")) {
      nlohmann::json source = m["sources"].at(f["source"].get<std::string>());
      source["origin"] = escaped_path(f.value("origin", ""));
      s.origin_url = filled(url, source);
    }
    s.made_from = f.value("madeFrom", "");
    out.files_.push_back(std::move(s));
  }
  return out;
}

std::vector<SharedFile> SharedFiles::needed_for(const std::string& use) const {
  std::vector<SharedFile> out;
  for (const auto& f : files_)
    if (use == "all" || std::find(f.uses.begin(), f.uses.end(), use) != f.uses.end())
      out.push_back(f);
  return out;
}

std::vector<SharedFile> missing_from(const fs::path& folder, const std::vector<SharedFile>& files) {
  std::vector<SharedFile> out;
  for (const auto& f : files) {
    std::error_code ec;
    auto size = fs::file_size(folder / f.path, ec);
    if (ec || static_cast<long long>(size) != f.size) out.push_back(f);
  }
  return out;
}

FetchReport fetch_shared_files(const std::vector<SharedFile>& files, const fs::path& shared,
                               const std::string& mirror, std::ostream& progress) {
  FetchReport report;
  const fs::path root = shared_files_cache() / "shared";
  int done = 0, unreachable = 0;
  for (const auto& f : files) {
    ++done;
    // Offline: three servers in a row not reached, the rest is not tried
    // (each would wait for its own timeout).
    if (unreachable >= 3) {
      report.problems.push_back(f.path + ": not tried, the servers before it could not be reached");
      continue;
    }
    fs::path target = root / f.path, part = target.string() + ".part";
    std::error_code ec;
    if (fs::exists(target) && static_cast<long long>(fs::file_size(target, ec)) == f.size) {
      ++report.present;
      continue;
    }
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
      report.problems.push_back(f.path + ": cannot make " + target.parent_path().string() + " (" +
                                ec.message() + ")");
      continue;
    }
    std::string from;
    bool copied = false;
    if (!shared.empty() && fs::exists(shared / f.path)) {
      fs::remove(part, ec);
      copied = fs::copy_file(shared / f.path, part, fs::copy_options::overwrite_existing, ec);
      from = (shared / f.path).string();
    }
    if (!copied) {
      from = !mirror.empty() ? mirror + "/" + escaped_path(f.path) : f.origin_url;
      if (from.empty()) {
        report.problems.push_back(f.path + ": no public copy to fetch (it is " + f.made_from +
                                  "); put it in " + target.string());
        continue;
      }
      Download d = download(from, part);
      unreachable = d.unreachable ? unreachable + 1 : 0;
      if (!d.error.empty()) {
        bool kept = fs::exists(part) && fs::file_size(part, ec) > 0;
        if (!kept) fs::remove(part, ec);
        report.problems.push_back(f.path + ": not fetched from " + from + ": " + d.error +
                                  (kept ? " (what came is kept; the next fetch resumes it)" : ""));
        continue;
      }
    }
    long long got = static_cast<long long>(fs::file_size(part, ec));
    std::string digest = sha256_of_file(part.string());
    if (got != f.size || digest != f.sha256) {
      fs::remove(part, ec);
      report.problems.push_back(f.path + " from " + from + " is refused: " + std::to_string(got) +
                                " bytes with SHA-256 " + digest + ", where the list says " +
                                std::to_string(f.size) + " bytes with " + f.sha256 +
                                " (damaged, cut short or changed at its origin)");
      continue;
    }
    fs::rename(part, target, ec);
    copied ? ++report.copied : ++report.fetched;
    if (done % 100 == 0 || done == static_cast<int>(files.size()))
      progress << "  " << done << " of " << files.size() << " shared files checked\n";
  }
  return report;
}

std::string needer(const std::string& use) {
  return use == "all" ? "everything" : use == "training" ? "the default training" : "the " + use;
}

std::string how_to_provide(const std::vector<SharedFile>& missing, const std::string& shared,
                           const std::string& use) {
  std::string out = std::to_string(missing.size()) + " of the shared files " + needer(use) +
                    " needs are in neither " + shared + " nor " +
                    (shared_files_cache() / "shared").string() + ":\n";
  for (size_t i = 0; i < missing.size() && i < 10; ++i)
    out += "  " + missing[i].path +
           (missing[i].origin_url.empty() ? " (made from " + missing[i].made_from + ")"
                                          : " (from " + missing[i].origin_url + ")") +
           "\n";
  if (missing.size() > 10)
    out += "  and " + std::to_string(missing.size() - 10) +
           " more (`checkout-edge assets check --for " + use + "` lists them all)\n";
  out +=
      "Provide them in one of these ways: run `checkout-edge assets fetch --for " + use +
      "` where GitHub is reachable (each file is checked against its SHA-256); or put the shared "
      "folder (datasets/, models/) beside the project as ../shared, or point --shared or "
      "CHECKOUT_EDGE_SHARED at it; or copy each file to " +
      (shared_files_cache() / "shared").string() + "/ under the path shown.";
  return out;
}

std::string folder_with_shared_files(const std::string& use, const std::string& shared,
                                     std::ostream& progress) {
  SharedFiles all = SharedFiles::load(CHECKOUT_EDGE_ASSET_MANIFEST);
  auto needed = all.needed_for(use);
  if (missing_from(shared, needed).empty()) return shared;
  const fs::path cache = shared_files_cache() / "shared";
  auto missing = missing_from(cache, needed);
  if (missing.empty()) return cache.string();
  const char* mirror = std::getenv("CHECKOUT_EDGE_ASSET_MIRROR");
  progress << "The " << use << " needs " << missing.size() << " shared files that " << shared
           << " lacks: fetching them into " << cache.string() << "\n";
  FetchReport r = fetch_shared_files(missing, shared, mirror ? mirror : "", progress);
  missing = missing_from(cache, needed);
  if (missing.empty()) return cache.string();
  std::string problems;
  for (size_t i = 0; i < r.problems.size() && i < 5; ++i) problems += "  " + r.problems[i] + "\n";
  throw std::runtime_error(how_to_provide(missing, shared, use) +
                           (problems.empty() ? "" : "\nWhat went wrong:\n" + problems));
}

}  // namespace ce
