// SHA-256 of a file, in hex: a model package lists one per file so a damaged
// copy is refused at load instead of misclassifying.
#pragma once

#include <string>

namespace ce {

std::string sha256_of_file(const std::string& path);  // throws naming the file
std::string sha256_of_text(const std::string& text);

}  // namespace ce
