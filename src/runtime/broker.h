// The hub's broker: Debian's mosquitto, on a loopback port, configured and
// launched by the runtime like any other module ("edgeHub").
#pragma once

#include <string>
#include <vector>

#include "runtime/hub_identities.h"
#include "runtime/manifest.h"
#include "runtime/state_dir.h"

namespace ce {

int find_free_loopback_port();
bool port_accepts_connections(int port);

// Writes the broker configuration and returns the command that starts it.
// Throws with install instructions when mosquitto is missing.
// The mosquitto program; throws saying how to install it when it is missing.
std::string find_mosquitto();
// Anonymous clients are refused; `identities` are the logins and what each
// may do; with `settings.hub_*_file`, the listener speaks TLS only.
std::vector<std::string> prepare_broker(const StateDir& state, int port,
                                        const HubIdentities& identities,
                                        const RuntimeSettings& settings);

}  // namespace ce
