#include "common/sqlite_pages.h"

#include <cstdint>
#include <cstring>
#include <set>

namespace ce {
namespace {

constexpr unsigned char kTableLeaf = 0x0D, kTableInterior = 0x05;
constexpr int kDeepestTree = 32;           // SQLite's trees are a handful of levels deep
constexpr size_t kLongestChain = 1 << 16;  // overflow and freelist pages followed at most

uint64_t big_endian(std::string_view b, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v << 8 | static_cast<unsigned char>(b[at + i]);
  return v;
}

// SQLite's varint: 7 bits a byte, the ninth byte whole. False when `b` ends first.
bool read_varint(std::string_view b, size_t& at, uint64_t& v) {
  v = 0;
  for (int i = 0; i < 9; ++i) {
    if (at >= b.size()) return false;
    auto c = static_cast<unsigned char>(b[at++]);
    if (i == 8) {
      v = v << 8 | c;
      return true;
    }
    v = v << 7 | (c & 0x7F);
    if (!(c & 0x80)) return true;
  }
  return true;
}

class Pages {
 public:
  Pages(std::string_view file, std::string_view wal) : file_(file) {
    if (file.size() >= 100 && std::memcmp(file.data(), "SQLite format 3", 16) == 0) {
      uint64_t size = big_endian(file, 16, 2);
      if (size == 1) size = 65536;
      if (size >= 512 && size <= 65536 && (size & (size - 1)) == 0) page_size_ = size;
      reserved_ = static_cast<unsigned char>(file[20]);
    }
    overlay(wal);
    if (reserved_ >= page_size_ - 480) reserved_ = 0;  // garbage: the format forbids it
  }

  size_t page_size() const { return page_size_; }
  size_t usable() const { return page_size_ - reserved_; }
  uint32_t count() const {
    uint32_t in_file = file_.size() / page_size_;
    return wal_.empty() ? in_file : std::max(in_file, wal_.rbegin()->first);
  }
  // Empty when the page is past the file's end (cut short) or not a page.
  std::string_view page(uint64_t n) const {
    if (n == 0 || n > count()) return {};
    if (auto w = wal_.find(n); w != wal_.end()) return w->second;
    size_t at = (n - 1) * page_size_;
    if (at + page_size_ > file_.size()) return {};
    return file_.substr(at, page_size_);
  }

 private:
  // A -wal file's committed frames are newer than the file's pages; frames
  // after the last commit, or from an older run of the log (other salts),
  // were never part of the database.
  void overlay(std::string_view wal) {
    if (wal.size() < 32) return;
    uint64_t magic = big_endian(wal, 0, 4);
    if (magic != 0x377f0682 && magic != 0x377f0683) return;
    uint64_t size = big_endian(wal, 8, 4);
    if (size < 512 || size > 65536 || (size & (size - 1))) return;
    page_size_ = size;
    std::string_view salts = wal.substr(16, 8);
    std::map<uint32_t, std::string_view> pending;
    for (size_t at = 32; at + 24 + size <= wal.size(); at += 24 + size) {
      if (wal.substr(at + 8, 8) != salts) break;
      auto page_no = static_cast<uint32_t>(big_endian(wal, at, 4));
      if (page_no == 0) break;
      pending[page_no] = wal.substr(at + 24, size);
      if (big_endian(wal, at + 4, 4) != 0) {  // a commit
        for (auto& [n, p] : pending) wal_[n] = p;
        pending.clear();
      }
    }
  }

  std::string_view file_;
  size_t page_size_ = 4096, reserved_ = 0;
  std::map<uint32_t, std::string_view> wal_;
};

bool decode_record(std::string_view payload, std::vector<nlohmann::json>& values) {
  size_t at = 0;
  uint64_t header_size;
  if (!read_varint(payload, at, header_size) || header_size > payload.size()) return false;
  std::vector<uint64_t> types;
  while (at < header_size) {
    uint64_t t;
    if (!read_varint(payload, at, t)) return false;
    types.push_back(t);
  }
  size_t body = header_size;
  static constexpr size_t kIntBytes[] = {0, 1, 2, 3, 4, 6, 8};
  for (uint64_t t : types) {
    size_t n = t <= 6 ? kIntBytes[t] : t == 7 ? 8 : t >= 12 ? (t - 12) / 2 : 0;
    if (t == 10 || t == 11 || n > payload.size() - body) return false;
    if (t == 0) {
      values.emplace_back(nullptr);
    } else if (t <= 6) {
      uint64_t raw = big_endian(payload, body, n);
      int shift = 64 - 8 * static_cast<int>(n);  // sign-extend from n bytes
      values.emplace_back(static_cast<int64_t>(raw << shift) >> shift);
    } else if (t == 7) {
      uint64_t raw = big_endian(payload, body, 8);
      double d;
      std::memcpy(&d, &raw, sizeof d);
      values.emplace_back(d);
    } else if (t == 8 || t == 9) {
      values.emplace_back(t == 9 ? 1 : 0);
    } else if (t % 2 == 1) {
      values.emplace_back(std::string(payload.substr(body, n)));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string hex;
      for (unsigned char c : payload.substr(body, n)) hex += {kHex[c >> 4], kHex[c & 15]};
      values.emplace_back(nlohmann::json{{"blob", hex}});
    }
    body += n;
  }
  return true;
}

class Reader {
 public:
  explicit Reader(const Pages& pages) : pages_(pages) {}

  std::set<uint64_t> reached;

  // Every row of the tree rooted at `root`; pages it reaches are marked.
  void walk(uint64_t root, std::map<long long, PagedRow>& rows, int depth = 0) {
    if (depth > kDeepestTree || !reached.insert(root).second) return;
    std::string_view p = pages_.page(root);
    size_t header = root == 1 ? 100 : 0;
    if (p.size() < header + 12) return;
    auto type = static_cast<unsigned char>(p[header]);
    if (type == kTableLeaf) {
      leaf_rows(p, header, rows);
    } else if (type == kTableInterior) {
      for (size_t at : cells(p, header, 12)) {
        if (at + 4 <= p.size()) walk(big_endian(p, at, 4), rows, depth + 1);
      }
      walk(big_endian(p, header + 8, 4), rows, depth + 1);
    }
  }

  void leaf_rows(std::string_view p, size_t header, std::map<long long, PagedRow>& rows) {
    for (size_t at : cells(p, header, 8)) {
      uint64_t size, rowid;
      if (!read_varint(p, at, size) || !read_varint(p, at, rowid)) continue;
      std::string payload = cell_payload(p, at, size);
      PagedRow row{static_cast<long long>(rowid), {}};
      if (payload.size() == size && decode_record(payload, row.values))
        rows[row.rowid] = std::move(row);
    }
  }

  void mark_free(std::string_view first_page) {
    if (first_page.size() < 100) return;
    uint64_t trunk = big_endian(first_page, 32, 4);
    for (size_t hops = 0; trunk != 0 && hops < kLongestChain; ++hops) {
      if (!free.insert(trunk).second) break;
      std::string_view p = pages_.page(trunk);
      if (p.size() < 8) break;
      uint64_t n = std::min<uint64_t>(big_endian(p, 4, 4), (p.size() - 8) / 4);
      for (uint64_t i = 0; i < n; ++i) free.insert(big_endian(p, 8 + 4 * i, 4));
      trunk = big_endian(p, 0, 4);
    }
  }

  std::set<uint64_t> free;

 private:
  std::vector<size_t> cells(std::string_view p, size_t header, size_t header_size) {
    std::vector<size_t> at;
    uint64_t n = big_endian(p, header + 3, 2);
    for (uint64_t i = 0; i < n; ++i) {
      size_t slot = header + header_size + 2 * i;
      if (slot + 2 > p.size()) break;
      size_t cell = big_endian(p, slot, 2);
      if (cell >= header + header_size && cell < p.size()) at.push_back(cell);
    }
    return at;
  }

  // The payload's local part, then its overflow pages' (format §1.6).
  std::string cell_payload(std::string_view p, size_t at, uint64_t size) {
    size_t u = pages_.usable(), most_local = u - 35;
    if (size > (uint64_t{1} << 31)) return {};
    size_t local = size;
    if (size > most_local) {
      size_t least = (u - 12) * 32 / 255 - 23;
      size_t k = least + (size - least) % (u - 4);
      local = k <= most_local ? k : least;
    }
    if (at + local > p.size()) return {};
    std::string payload(p.substr(at, local));
    if (local == size) return payload;
    if (at + local + 4 > p.size()) return {};
    uint64_t next = big_endian(p, at + local, 4);
    for (size_t hops = 0; payload.size() < size && next != 0 && hops < kLongestChain; ++hops) {
      std::string_view o = pages_.page(next);
      if (o.size() < 4 || !reached.insert(next).second) break;
      payload += o.substr(4, std::min<size_t>(size - payload.size(), u - 4));
      next = big_endian(o, 0, 4);
    }
    return payload;
  }

  const Pages& pages_;
};

}  // namespace

PagedFile read_sqlite_pages(std::string_view file, std::string_view wal) {
  PagedFile out;
  Pages pages(file, wal);
  if (pages.count() == 0) {
    out.problem = "shorter than one page";
    return out;
  }
  Reader reader(pages);
  std::map<long long, PagedRow> schema;
  reader.walk(1, schema);
  reader.mark_free(pages.page(1));
  for (auto& [rowid, row] : schema) {
    const auto& v = row.values;
    if (v.size() < 5 || v[0] != "table" || !v[1].is_string() || !v[3].is_number_integer()) continue;
    std::string name = v[1];
    if (name.starts_with("sqlite_")) continue;
    PagedTable table{name, v[4].is_string() ? v[4].get<std::string>() : "", {}};
    if (v[3].get<long long>() > 1) reader.walk(v[3].get<long long>(), table.rows);
    out.tables.push_back(std::move(table));
  }
  // Index roots, so that their pages are not taken for lost tables' pages.
  for (auto& [rowid, row] : schema) {
    const auto& v = row.values;
    if (v.size() >= 4 && v[0] == "index" && v[3].is_number_integer())
      reader.reached.insert(v[3].get<long long>());
  }
  for (uint32_t n = 2; n <= pages.count(); ++n) {
    if (reader.reached.count(n) || reader.free.count(n)) continue;
    std::string_view p = pages.page(n);
    if (p.empty() || static_cast<unsigned char>(p[0]) != kTableLeaf) continue;
    std::map<long long, PagedRow> rows;
    reader.leaf_rows(p, 0, rows);
    std::vector<PagedRow> page_rows;
    for (auto& [rowid, row] : rows) page_rows.push_back(std::move(row));
    if (!page_rows.empty()) out.orphan_pages.push_back(std::move(page_rows));
  }
  return out;
}

}  // namespace ce
