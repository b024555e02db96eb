# Writes OUTPUT, a C++ file defining ce::web_assets(): every file in FILES,
# by its name, as bytes. The web module serves its pages from itself, so a
# lane needs no internet and no asset folder beside the binary.
string(REPLACE "|" ";" FILES "${FILES}")
set(arrays "")
set(entries "")
set(i 0)
foreach(path ${FILES})
  get_filename_component(name ${path} NAME)
  file(READ ${path} hex HEX)
  string(LENGTH "${hex}" length)
  math(EXPR bytes "${length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," chars "${hex}")
  string(APPEND arrays "const unsigned char asset_${i}[] = {${chars}};\n")
  string(APPEND entries "      {\"${name}\", std::string(reinterpret_cast<const char*>(asset_${i}), ${bytes})},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE ${OUTPUT}.tmp "// Made by cmake/embed_files.cmake from src/modules/web/assets; do not edit.
#include \"modules/web/web_assets.h\"

namespace ce {

namespace {
${arrays}}  // namespace

const std::map<std::string, std::string>& web_assets() {
  static const std::map<std::string, std::string> assets{
${entries}  };
  return assets;
}

}  // namespace ce
")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
