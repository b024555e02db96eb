// The environment a module's process starts with. Not the runtime's: that
// holds the store's secrets (an upstream password, a registry's login),
// and a module reads only what its manifest names, as a container would.
#pragma once

#include <string>
#include <vector>

namespace ce {

// The runtime's own variables every module gets: the system's basics (PATH,
// HOME, the locale and time zone, the temporary folder, TLS trust) and the
// lane's install paths.
bool passed_to_modules(const std::string& name);

// `value` with each ${NAME} read from the runtime's environment, as a
// manifest's module env keeps them; names that are not set go to `missing`
// and read as empty.
std::string with_environment(const std::string& value, std::vector<std::string>* missing);

}  // namespace ce
