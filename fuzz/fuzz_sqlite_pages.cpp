// A damaged journal's bytes, whatever they are: rows or nothing, never a
// read past a page, a loop through a cycle of page numbers, or a crash.
// The input's first two bytes split it into the database and its -wal.
#include <string_view>

#include "common/sqlite_pages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t split = (data[0] << 8 | data[1]) % (size - 1);
  std::string_view all(reinterpret_cast<const char*>(data) + 2, size - 2);
  ce::PagedFile f = ce::read_sqlite_pages(all.substr(0, split), all.substr(split));
  size_t rows = 0;
  for (const auto& t : f.tables) rows += t.rows.size();
  for (const auto& p : f.orphan_pages) rows += p.size();
  return rows > size ? -1 : 0;
}
