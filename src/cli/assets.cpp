// checkout-edge assets check|fetch: which shared files are where, and
// fetching the missing ones from their origins (or a mirror), checked.
#include <iostream>

#include "cli/commands.h"
#include "cli/shared_files.h"

namespace ce {

int assets_command(const AssetsOptions& o) {
  SharedFiles all =
      SharedFiles::load(o.manifest.empty() ? CHECKOUT_EDGE_ASSET_MANIFEST : o.manifest);
  auto needed = all.needed_for(o.use);
  const std::filesystem::path cache = shared_files_cache() / "shared";
  auto missing = missing_from(o.shared, needed);
  if (o.action == "check") {
    if (missing.empty()) {
      std::cout << "all " << needed.size() << " shared files " << needer(o.use) << " needs are in "
                << o.shared << "\n";
      return 0;
    }
    auto cached = missing_from(cache, needed);
    if (cached.empty()) {
      std::cout << "all " << needed.size() << " shared files " << needer(o.use) << " needs are in "
                << cache.string() << "\n";
      return 0;
    }
    // Every one, so that a script or a person can fetch them by other means.
    for (const auto& f : cached)
      std::cout << f.path << "\t" << f.size << "\t"
                << (f.origin_url.empty() ? "made from " + f.made_from : f.origin_url) << "\n";
    std::cerr << how_to_provide(cached, o.shared, o.use) << "\n";
    return 1;
  }
  std::cout << "fetching the " << needed.size() << " shared files " << needer(o.use)
            << " needs into " << cache.string()
            << (o.mirror.empty() ? " from their origins" : " from " + o.mirror) << "\n";
  FetchReport r = fetch_shared_files(needed, o.shared, o.mirror, std::cout);
  std::cout << r.fetched << " fetched, " << r.copied << " copied from " << o.shared << ", "
            << r.present << " already there\n";
  for (const auto& p : r.problems) std::cerr << "  " << p << "\n";
  if (!r.problems.empty()) {
    std::cerr << r.problems.size() << " files could not be had: "
              << how_to_provide(missing_from(cache, needed), o.shared, o.use) << "\n";
    return 1;
  }
  return 0;
}

}  // namespace ce
