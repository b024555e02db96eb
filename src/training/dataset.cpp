#include "training/dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "common/image_files.h"

namespace fs = std::filesystem;

namespace ce {
namespace {

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\r"));
  s.erase(s.find_last_not_of(" \t\r") + 1);
  return s;
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string f;
  while (std::getline(in, f, ',')) fields.push_back(trim(f));
  return fields;
}

Dataset from_folder(const fs::path& dir) {
  Dataset d;
  std::vector<fs::path> tag_dirs;
  for (auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) tag_dirs.push_back(e.path());
  std::sort(tag_dirs.begin(), tag_dirs.end());
  for (auto& t : tag_dirs) {
    int id = static_cast<int>(d.tags.size());
    d.tags.push_back(t.filename().string());
    std::vector<std::string> files;
    for (auto& e : fs::recursive_directory_iterator(t))
      if (e.is_regular_file() && is_image_file(e.path())) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (auto& f : files) d.samples.push_back({f, id});
  }
  if (d.tags.empty())
    throw std::runtime_error(dir.string() +
                             ": no tag folders; put each tag's images in a subfolder named "
                             "after the tag (DATA/Banana/1.jpg)");
  return d;
}

// classes.csv: name, id, coarse name, coarse id, ...
void read_classes(Dataset& d, const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot open the classes file");
  std::string line;
  int n = 0;
  std::map<int, std::string> fine, coarse;
  std::map<int, int> coarse_of;
  while (std::getline(in, line)) {
    ++n;
    auto f = split_csv(line);
    if (f.size() < 2 || (n == 1 && !std::isdigit(static_cast<unsigned char>(f[1][0]))))
      continue;  // the header
    try {
      int id = std::stoi(f[1]);
      fine[id] = f[0];
      if (f.size() >= 4) {
        int cid = std::stoi(f[3]);
        coarse[cid] = f[2];
        coarse_of[id] = cid;
      }
    } catch (const std::exception&) {
      throw std::runtime_error(file.string() + ":" + std::to_string(n) +
                               ": expected 'name, id[, coarse name, coarse id]', found '" + line +
                               "'");
    }
  }
  for (auto& [id, name] : fine) {
    if (id != static_cast<int>(d.tags.size()))
      throw std::runtime_error(file.string() + ": class ids must run 0, 1, 2, ...; " +
                               std::to_string(d.tags.size()) + " is missing");
    d.tags.push_back(name);
  }
  if (!coarse.empty() && coarse_of.size() == fine.size()) {
    for (auto& [cid, name] : coarse) {
      if (cid != static_cast<int>(d.coarse_names.size()))
        throw std::runtime_error(file.string() + ": coarse class ids must run 0, 1, 2, ...");
      d.coarse_names.push_back(name);
    }
    for (auto& [id, cid] : coarse_of) d.coarse_of_tag.push_back(cid);
  }
}

Dataset from_list(const fs::path& list, const std::string& classes) {
  Dataset d;
  fs::path classes_file = classes.empty() ? list.parent_path() / "classes.csv" : fs::path(classes);
  bool named = fs::exists(classes_file);
  if (named) read_classes(d, classes_file);
  std::ifstream in(list);
  if (!in) throw std::runtime_error(list.string() + ": cannot open the list file");
  std::string line;
  int n = 0, max_id = -1;
  while (std::getline(in, line)) {
    ++n;
    if (trim(line).empty()) continue;
    auto f = split_csv(line);
    int id = -1;
    try {
      if (f.size() >= 2) id = std::stoi(f[1]);
    } catch (const std::exception&) {
    }
    if (id < 0)
      throw std::runtime_error(list.string() + ":" + std::to_string(n) +
                               ": expected 'path, tag id[, coarse id]', found '" + line + "'");
    if (named && id >= static_cast<int>(d.tags.size()))
      throw std::runtime_error(list.string() + ":" + std::to_string(n) + ": tag id " +
                               std::to_string(id) + " is not in " + classes_file.string());
    fs::path p = f[0];
    d.samples.push_back({(p.is_absolute() ? p : list.parent_path() / p).string(), id});
    max_id = std::max(max_id, id);
  }
  if (d.samples.empty()) throw std::runtime_error(list.string() + ": no images listed");
  if (!named)
    for (int i = 0; i <= max_id; ++i) d.tags.push_back(std::to_string(i));
  return d;
}

}  // namespace

std::vector<int> Dataset::counts() const {
  std::vector<int> c(tags.size(), 0);
  for (auto& s : samples) ++c[s.tag];
  return c;
}

nlohmann::json Dataset::summary() const {
  nlohmann::json per_tag = nlohmann::json::object();
  auto c = counts();
  for (size_t i = 0; i < tags.size(); ++i) per_tag[tags[i]] = c[i];
  return {{"source", source},
          {"images", samples.size()},
          {"tags", tags.size()},
          {"imagesPerTag", per_tag},
          {"skipped", skipped},
          {"warnings", warnings},
          {"coarseClasses", coarse_names.size()}};
}

Dataset load_dataset(const std::string& where, const std::string& classes) {
  fs::path p = where;
  if (!fs::exists(p)) throw std::runtime_error("data " + where + " does not exist");
  Dataset d = fs::is_directory(p) ? from_folder(p) : from_list(p, classes);
  d.source = fs::absolute(p).lexically_normal().string();
  return d;
}

void check_trainable(Dataset& data, int min_images) {
  auto c = data.counts();
  std::string few;
  int most = 0, least = 1 << 30;
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i] < min_images)
      few += (few.empty() ? "" : ", ") + data.tags[i] + " (" + std::to_string(c[i]) + ")";
    most = std::max(most, c[i]);
    least = std::min(least, c[i]);
  }
  if (!few.empty())
    throw std::runtime_error("every tag needs at least " + std::to_string(min_images) +
                             " readable images; these have fewer: " + few +
                             ". Add photos, or remove the tag");
  if (least > 0 && most > 2 * least)
    data.warnings.push_back("tags are out of balance: the largest has " + std::to_string(most) +
                            " images, the smallest " + std::to_string(least) +
                            "; more than 2:1 makes the model favour the large tags");
}

void align_tags(Dataset& data, const std::vector<std::string>& tags) {
  std::map<std::string, int> id;
  for (size_t i = 0; i < tags.size(); ++i) id[tags[i]] = static_cast<int>(i);
  for (auto& s : data.samples) {
    auto it = id.find(data.tags[s.tag]);
    if (it == id.end())
      throw std::runtime_error(data.source + ": tag '" + data.tags[s.tag] +
                               "' is not one the model knows");
    s.tag = it->second;
  }
  if (!data.coarse_of_tag.empty() && data.tags != tags) data.coarse_of_tag.clear();
  data.tags = tags;
}

}  // namespace ce
