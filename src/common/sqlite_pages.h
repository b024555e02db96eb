// Rows read straight from a SQLite database file's pages, following the
// documented file format (sqlite.org/fileformat2.html). For a file SQLite
// itself refuses (cut short, a garbage page): Debian's SQLite has neither
// the sqlite_dbpage table nor the recover extension, so the shell's
// `.recover` fails there, and a query stops at the first bad page.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace ce {

struct PagedRow {
  long long rowid = 0;
  std::vector<nlohmann::json> values;  // in column order; may be fewer than the table has
};

struct PagedTable {
  std::string name, sql;  // as the schema page gives them
  std::map<long long, PagedRow> rows;
};

struct PagedFile {
  std::vector<PagedTable> tables;  // those the schema page names (sqlite_schema itself left out)
  // Table leaf pages no table's tree reaches (its root or a parent page
  // lost) and not on the freelist: their rows, page by page.
  std::vector<std::vector<PagedRow>> orphan_pages;
  std::string problem;  // empty, or why nothing could be read
};

// `file`: the database's bytes; `wal`: its -wal file's (may be empty), whose
// committed pages override the file's. Never throws on garbage.
PagedFile read_sqlite_pages(std::string_view file, std::string_view wal);

}  // namespace ce
