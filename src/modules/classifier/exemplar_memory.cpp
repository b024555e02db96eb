#include "modules/classifier/exemplar_memory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <numeric>
#include <opencv2/core.hpp>
#include <random>
#include <set>

#include "common/files.h"

namespace fs = std::filesystem;

namespace ce {

namespace {

constexpr uint32_t kMagic = 0x314d4543;  // "CEM1"
// Nearest neighbours over 20,000 examples must take a couple of
// milliseconds: a random projection keeps cosine similarity within a few
// hundredths at this size, and reads a tenth of the memory a full
// two-network embedding would.
constexpr size_t kProjectedDimension = 256;
constexpr uint32_t kProjectionSeed = 20261205;

// Box-Muller over mt19937, whose output the standard fixes: the same
// projection on every machine and library, for the life of the memory.
std::vector<float> gaussian_projection(size_t rows, size_t cols) {
  std::mt19937 rng(kProjectionSeed);
  auto unit = [&] { return (rng() + 0.5) / 4294967296.0; };
  std::vector<float> m(rows * cols);
  for (size_t i = 0; i < m.size(); i += 2) {
    double r = std::sqrt(-2 * std::log(unit())), a = 2 * M_PI * unit();
    m[i] = static_cast<float>(r * std::cos(a));
    if (i + 1 < m.size()) m[i + 1] = static_cast<float>(r * std::sin(a));
  }
  return m;
}

void normalise(std::vector<float>& v) {
  double n = 0;
  for (float x : v) n += double(x) * x;
  n = std::sqrt(n);
  if (n > 0)
    for (float& x : v) x = static_cast<float>(x / n);
}

void put_u32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }
uint32_t get_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

nlohmann::json example_meta(const Example& e) {
  return {{"id", e.id},   {"tag", e.tag},        {"against", e.against}, {"source", e.source},
          {"who", e.who}, {"timeMs", e.time_ms}, {"scene", e.scene},     {"photo", e.has_photo}};
}

}  // namespace

ExemplarMemory::ExemplarMemory(fs::path dir, std::string identity, size_t input_dimension,
                               MemoryLimits limits)
    : dir_(std::move(dir)),
      log_path_(dir_ / "memory.log"),
      identity_(std::move(identity)),
      input_dimension_(input_dimension),
      dimension_(std::min(input_dimension, kProjectedDimension)),
      limits_(limits) {
  if (input_dimension_ == 0) throw std::runtime_error("an exemplar memory needs an embedding");
  if (input_dimension_ > dimension_)
    projection_ = gaussian_projection(input_dimension_, dimension_);
  fs::create_directories(dir_ / "photos");
  fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace);
  load();
  fd_ = ::open(log_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0)
    throw std::runtime_error(log_path_.string() +
                             ": cannot write the memory: " + std::strerror(errno));
  if (records_ == 0)
    append('H', {{"identity", identity_},
                 {"inputDimension", input_dimension_},
                 {"dimension", dimension_},
                 {"projectionSeed", kProjectionSeed}});
}

std::vector<float> ExemplarMemory::project(const std::vector<float>& embedding) const {
  if (embedding.size() != input_dimension_)
    throw std::runtime_error("an embedding of " + std::to_string(embedding.size()) +
                             " values, where the memory holds " + std::to_string(input_dimension_));
  std::vector<float> out;
  if (projection_.empty()) {
    out = embedding;
  } else {
    // OpenCV's matrix product: vectorised for the machine it runs on.
    out.assign(dimension_, 0.f);
    cv::Mat e(1, static_cast<int>(input_dimension_), CV_32F, const_cast<float*>(embedding.data()));
    cv::Mat p(static_cast<int>(input_dimension_), static_cast<int>(dimension_), CV_32F,
              const_cast<float*>(projection_.data()));
    cv::Mat o(1, static_cast<int>(dimension_), CV_32F, out.data());
    cv::gemm(e, p, 1.0, cv::noArray(), 0.0, o);
  }
  normalise(out);
  return out;
}

std::optional<std::pair<std::string, size_t>> ExemplarMemory::identity_of(const fs::path& dir) {
  std::ifstream in(dir / "memory.log", std::ios::binary);
  char head[17];
  if (!in.read(head, sizeof head) || get_u32(head) != kMagic || head[12] != 'H')
    return std::nullopt;
  uint32_t text_len = get_u32(head + 13);
  std::string text(text_len, '\0');
  if (text_len > 4096 || !in.read(text.data(), text_len)) return std::nullopt;
  auto meta = nlohmann::json::parse(text, nullptr, false);
  if (!meta.is_object()) return std::nullopt;
  return std::pair{meta.value("identity", std::string()), meta.value("inputDimension", size_t{0})};
}

ExemplarMemory::~ExemplarMemory() {
  if (fd_ >= 0) ::close(fd_);
}

void ExemplarMemory::append(char type, const nlohmann::json& meta, const std::vector<float>& vec,
                            bool sync) {
  std::string payload(1, type);
  std::string text = meta.dump();
  put_u32(payload, static_cast<uint32_t>(text.size()));
  payload += text;
  payload.append(reinterpret_cast<const char*>(vec.data()), vec.size() * sizeof(float));
  std::string record;
  put_u32(record, kMagic);
  put_u32(record, static_cast<uint32_t>(payload.size()));
  put_u32(record, static_cast<uint32_t>(
                      crc32(0, reinterpret_cast<const Bytef*>(payload.data()), payload.size())));
  record += payload;
  // One write and a sync: a kill leaves the record whole or a torn tail
  // that the next load cuts off.
  size_t done = 0;
  while (done < record.size()) {
    ssize_t n = ::write(fd_, record.data() + done, record.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // A partial record would be cut at the next load; cut it now so that
      // what follows is not lost behind it.
      if (done > 0) {
        struct stat st;
        if (::fstat(fd_, &st) == 0) (void)::ftruncate(fd_, st.st_size - static_cast<off_t>(done));
      }
      throw std::runtime_error(log_path_.string() +
                               ": cannot keep what was learnt: " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (sync) ::fdatasync(fd_);
  ++records_;
}

void ExemplarMemory::load() {
  std::ifstream in(log_path_, std::ios::binary);
  if (!in) return;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t at = 0, good = 0;
  while (at + 12 <= data.size()) {
    uint32_t magic = get_u32(&data[at]), len = get_u32(&data[at + 4]), crc = get_u32(&data[at + 8]);
    if (magic != kMagic || at + 12 + len > data.size() || len < 5) break;
    const char* p = &data[at + 12];
    if (crc32(0, reinterpret_cast<const Bytef*>(p), len) != crc) break;
    char type = p[0];
    uint32_t text_len = get_u32(p + 1);
    if (5 + size_t(text_len) > len) break;
    auto meta = nlohmann::json::parse(std::string_view(p + 5, text_len), nullptr, false);
    if (meta.is_discarded()) break;
    size_t floats = (len - 5 - text_len) / sizeof(float);
    std::vector<float> vec(floats);
    std::memcpy(vec.data(), p + 5 + text_len, floats * sizeof(float));
    if (type == 'H') {
      if (meta.value("identity", "") != identity_ ||
          meta.value("inputDimension", size_t{0}) != input_dimension_)
        throw std::runtime_error(
            log_path_.string() + " is the memory of " + meta.value("identity", "?") + " (" +
            std::to_string(meta.value("inputDimension", 0)) + " values an embedding), not of " +
            identity_ + "; each package keeps its own memory folder");
    } else {
      apply(type, meta, std::move(vec));
    }
    ++records_;
    at += 12 + len;
    good = at;
  }
  if (good < data.size()) {
    // The tail of a write a kill cut short: that record alone is lost.
    std::cerr << "classifier: the memory " << log_path_.string() << " ended in "
              << data.size() - good << " bytes of an unfinished record; they are dropped\n";
    fs::resize_file(log_path_, good);
  }
}

void ExemplarMemory::apply(char type, const nlohmann::json& meta, std::vector<float> vec) {
  if (type == 'E') {
    if (vec.size() != dimension_) return;
    Example e;
    e.id = meta.value("id", uint64_t{0});
    e.tag = meta.value("tag", "");
    e.against = meta.value("against", false);
    e.source = meta.value("source", "");
    e.who = meta.value("who", "");
    e.time_ms = meta.value("timeMs", 0LL);
    e.scene = meta.value("scene", "");
    e.has_photo = meta.value("photo", false);
    e.vector = std::move(vec);
    next_id_ = std::max(next_id_, e.id + 1);
    examples_.push_back(std::move(e));
    matrix_.insert(matrix_.end(), examples_.back().vector.begin(), examples_.back().vector.end());
  } else if (type == 'X') {
    uint64_t id = meta.value("id", uint64_t{0});
    for (size_t i = 0; i < examples_.size(); ++i)
      if (examples_[i].id == id) {
        erase_at(i);
        break;
      }
  } else if (type == 'O') {
    outcomes_.push_back(
        {meta.value("score", 0.0), meta.value("correct", false), meta.value("modelCorrect", -1)});
    if (outcomes_.size() > limits_.outcomes_kept)
      outcomes_.erase(
          outcomes_.begin(),
          outcomes_.begin() + static_cast<long>(outcomes_.size() - limits_.outcomes_kept));
  }
}

void ExemplarMemory::erase_at(size_t i) {
  examples_.erase(examples_.begin() + static_cast<long>(i));
  matrix_.erase(matrix_.begin() + static_cast<long>(i * dimension_),
                matrix_.begin() + static_cast<long>((i + 1) * dimension_));
}

fs::path ExemplarMemory::photo_of(uint64_t id) const {
  return dir_ / "photos" / (std::to_string(id) + ".jpg");
}

uint64_t ExemplarMemory::add(Example e, const std::string& jpeg) {
  if (e.vector.size() != dimension_)
    throw std::runtime_error("an example must be projected by this memory first");
  // One decision a scene: the newer (an answer after a void, a correction)
  // stands; evidence against one tag leaves what is known against others.
  if (!e.scene.empty())
    forget_where(
        [&](const Example& x) { return x.scene == e.scene && (!e.against || x.tag == e.tag); });
  e.id = next_id_++;
  if (!jpeg.empty()) {
    try {
      write_file_atomically(photo_of(e.id).string(), jpeg);
      e.has_photo = true;
    } catch (const std::exception& ex) {
      std::cerr << "classifier: the example is kept without its photo: " << ex.what() << "\n";
    }
  }
  append('E', example_meta(e), e.vector);
  std::string tag = e.tag;
  examples_.push_back(std::move(e));
  matrix_.insert(matrix_.end(), examples_.back().vector.begin(), examples_.back().vector.end());
  evict_for(tag);
  trim_photos();
  if (records_ > 2 * (examples_.size() + outcomes_.size()) + 1000) compact();
  return examples_.back().id;
}

void ExemplarMemory::evict_for(const std::string& tag) {
  auto evict_nearest_twin = [&](const std::string& t) {
    // The least useful example of a tag is the one most like the newest:
    // dropping it loses the least of what the tag looks like.
    size_t newest = SIZE_MAX;
    for (size_t i = examples_.size(); i-- > 0;)
      if (examples_[i].tag == t) {
        newest = i;
        break;
      }
    if (newest == SIZE_MAX) return false;
    size_t worst = SIZE_MAX;
    float best = -2;
    for (size_t i = 0; i < examples_.size(); ++i) {
      if (i == newest || examples_[i].tag != t) continue;
      float s = std::inner_product(examples_[i].vector.begin(), examples_[i].vector.end(),
                                   examples_[newest].vector.begin(), 0.f);
      if (s > best) best = s, worst = i;
    }
    if (worst == SIZE_MAX) worst = newest;
    forget(examples_[worst].id);
    return true;
  };
  auto count = [&](const std::string& t) {
    return static_cast<size_t>(std::count_if(examples_.begin(), examples_.end(),
                                             [&](const Example& x) { return x.tag == t; }));
  };
  while (count(tag) > limits_.max_per_tag && evict_nearest_twin(tag)) {
  }
  while (examples_.size() > limits_.max_examples) {
    std::map<std::string, size_t> counts;
    for (auto& x : examples_) ++counts[x.tag];
    auto most = std::max_element(counts.begin(), counts.end(),
                                 [](auto& a, auto& b) { return a.second < b.second; });
    if (!evict_nearest_twin(most->first)) break;
  }
}

void ExemplarMemory::trim_photos() {
  size_t with_photo = 0;
  for (size_t i = examples_.size(); i-- > 0;) {
    if (!examples_[i].has_photo) continue;
    if (++with_photo > limits_.max_photos) {
      std::error_code ec;
      fs::remove(photo_of(examples_[i].id), ec);
      examples_[i].has_photo = false;  // the log says it had one; the file is what counts
    }
  }
}

bool ExemplarMemory::forget(uint64_t id) {
  for (size_t i = 0; i < examples_.size(); ++i)
    if (examples_[i].id == id) {
      append('X', {{"id", id}});
      std::error_code ec;
      fs::remove(photo_of(id), ec);
      erase_at(i);
      return true;
    }
  return false;
}

size_t ExemplarMemory::forget_where(const std::function<bool(const Example&)>& which) {
  std::vector<uint64_t> ids;
  for (auto& e : examples_)
    if (which(e)) ids.push_back(e.id);
  for (auto id : ids) forget(id);
  return ids.size();
}

size_t ExemplarMemory::forget_tag(const std::string& tag) {
  return forget_where([&](const Example& e) { return e.tag == tag; });
}

size_t ExemplarMemory::forget_scene(const std::string& scene) {
  return forget_where([&](const Example& e) { return e.scene == scene; });
}

std::vector<Neighbour> ExemplarMemory::nearest(const std::vector<float>& q, size_t k) const {
  std::vector<Neighbour> all(examples_.size());
  if (examples_.empty()) return all;
  std::vector<float> sims(examples_.size());
  cv::Mat rows(static_cast<int>(examples_.size()), static_cast<int>(dimension_), CV_32F,
               const_cast<float*>(matrix_.data()));
  cv::Mat query(static_cast<int>(dimension_), 1, CV_32F, const_cast<float*>(q.data()));
  cv::Mat out(static_cast<int>(examples_.size()), 1, CV_32F, sims.data());
  cv::gemm(rows, query, 1.0, cv::noArray(), 0.0, out);
  for (size_t i = 0; i < examples_.size(); ++i) all[i] = {i, sims[i]};
  k = std::min(k, all.size());
  std::partial_sort(
      all.begin(), all.begin() + static_cast<long>(k), all.end(),
      [](const Neighbour& a, const Neighbour& b) { return a.similarity > b.similarity; });
  all.resize(k);
  return all;
}

namespace {
nlohmann::json outcome_meta(const Outcome& o) {
  return {{"score", o.score}, {"correct", o.correct}, {"modelCorrect", o.model_correct}};
}
}  // namespace

void ExemplarMemory::record_outcome(const Outcome& o) {
  append('O', outcome_meta(o));
  apply('O', outcome_meta(o), {});
}

nlohmann::json ExemplarMemory::thresholds_at_risk(const std::vector<RiskPoint>& prior) const {
  std::vector<float> top;
  std::vector<bool> right;
  for (const Outcome& o : outcomes_) {
    top.push_back(static_cast<float>(o.score));
    right.push_back(o.correct);
  }
  if (top.empty()) return ce::thresholds_at_risk(prior);
  std::vector<RiskPoint> curve = risk_coverage(top, right);
  size_t total = top.size(), prior_total = 0;
  for (const RiskPoint& p : prior)
    if (p.coverage > 0 && p.accepted > 0)
      prior_total = std::max(prior_total, static_cast<size_t>(p.accepted / p.coverage + 0.5));
  for (RiskPoint& p : curve) {
    auto same = std::find_if(prior.begin(), prior.end(), [&](const RiskPoint& q) {
      return std::abs(q.threshold - p.threshold) < 1e-9;
    });
    if (same == prior.end()) continue;
    double wrong = p.risk * p.accepted + same->risk * same->accepted;
    p.accepted += same->accepted;
    p.risk = p.accepted ? wrong / p.accepted : 0;
    p.coverage = double(p.accepted) / double(total + prior_total);
  }
  return ce::thresholds_at_risk(curve);
}

nlohmann::json ExemplarMemory::summary(size_t newest_per_tag) const {
  struct Tag {
    size_t count = 0, against = 0;
    std::map<std::string, size_t> sources, who;
    std::vector<const Example*> newest;
  };
  std::map<std::string, Tag> tags;
  for (size_t i = examples_.size(); i-- > 0;) {
    const Example& e = examples_[i];
    Tag& t = tags[e.tag];
    ++(e.against ? t.against : t.count);
    ++t.sources[e.source];
    if (!e.who.empty()) ++t.who[e.who];
    if (t.newest.size() < newest_per_tag) t.newest.push_back(&e);
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& [name, t] : tags) {
    nlohmann::json newest = nlohmann::json::array();
    for (auto* e : t.newest) {
      auto m = example_meta(*e);
      m["photo"] = e->has_photo;
      newest.push_back(m);
    }
    out.push_back({{"tag", name},
                   {"examples", t.count},
                   {"against", t.against},
                   {"sources", t.sources},
                   {"who", t.who},
                   {"newest", newest}});
  }
  // The gain: on the scans whose truth is known, the lane against the model alone.
  size_t right = 0, known = 0, lane_right = 0, model_right = 0;
  for (const Outcome& o : outcomes_) {
    right += o.correct;
    if (o.model_correct < 0) continue;
    ++known;
    lane_right += o.correct;
    model_right += o.model_correct;
  }
  return {{"identity", identity_},
          {"examples", examples_.size()},
          {"tags", out},
          {"outcomes", outcomes_.size()},
          {"outcomesRight", right},
          {"gain", {{"scans", known}, {"laneRight", lane_right}, {"modelAloneRight", model_right}}},
          {"thresholdAtRisk", thresholds_at_risk()}};
}

size_t ExemplarMemory::export_to(const fs::path& dir) const {
  fs::create_directories(dir / "photos");
  std::string lines;
  size_t n = 0;
  for (const Example& e : examples_) {
    nlohmann::json j = example_meta(e);
    j.erase("id");
    j.erase("photo");
    if (e.has_photo && fs::exists(photo_of(e.id))) {
      std::string name = "photos/" + std::to_string(e.id) + ".jpg";
      fs::copy_file(photo_of(e.id), dir / name, fs::copy_options::overwrite_existing);
      j["photo"] = name;
    }
    lines += j.dump() + "\n";
    ++n;
  }
  write_file_atomically((dir / "examples.jsonl").string(), lines);
  return n;
}

void ExemplarMemory::compact() {
  // The live records alone, written beside the log and renamed over it: a
  // kill leaves the old log or the new one, never half of either.
  fs::path tmp = log_path_;
  tmp += ".compacting";
  int old = fd_;
  fd_ = ::open(tmp.c_str(), O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    fd_ = old;
    return;
  }
  size_t records = records_;
  records_ = 0;
  try {
    append('H', {{"identity", identity_},
                 {"inputDimension", input_dimension_},
                 {"dimension", dimension_},
                 {"projectionSeed", kProjectionSeed}});
    for (const Example& e : examples_) append('E', example_meta(e), e.vector, false);
    for (const Outcome& o : outcomes_) append('O', outcome_meta(o), {}, false);
    ::fdatasync(fd_);
    fs::rename(tmp, log_path_);
    ::close(old);
  } catch (const std::exception& e) {
    std::cerr << "classifier: the memory was not compacted: " << e.what() << "\n";
    ::close(fd_);
    fd_ = old;
    records_ = records;
    std::error_code ec;
    fs::remove(tmp, ec);
  }
}

}  // namespace ce
