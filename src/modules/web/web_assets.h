// The pages, scripts and styles of the web module, built into it
// (src/modules/web/assets, embedded by cmake/embed_files.cmake).
#pragma once

#include <map>
#include <string>

namespace ce {

const std::map<std::string, std::string>& web_assets();  // file name -> bytes

}  // namespace ce
