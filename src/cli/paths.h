// Where the shared assets are, and the configuration built into the program.
#pragma once

#include <string>

namespace ce {

// --shared, else $CHECKOUT_EDGE_SHARED, else ../shared beside the source tree.
std::string resolve_shared_dir(const std::string& flag);

// --state-dir, else $CHECKOUT_EDGE_HOME, else the packaged lane's
// /var/lib/checkout-edge when this is the installed /usr/bin/checkout-edge
// (so staff's `list` and `logs` reach the service), else ~/.local/state.
std::string state_dir_flag(const std::string& flag);

// The files under config/, compiled in so that `demo` needs nothing else.
extern const char* const embedded_deployment_json;
extern const char* const embedded_catalogue_json;
extern const char* const embedded_scenario_json;

}  // namespace ce
