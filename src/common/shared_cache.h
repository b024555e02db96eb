// Where shared datasets and models fetched from their origins are kept
// (`checkout-edge assets fetch`), laid out as ../shared is.
#pragma once

#include <filesystem>

namespace ce {

// $CHECKOUT_EDGE_CACHE, else $XDG_CACHE_HOME/checkout-edge, else
// ~/.cache/checkout-edge; the files are in its shared/ folder.
std::filesystem::path shared_files_cache();

}  // namespace ce
