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

// The mosquitto program; throws saying how to install it when it is missing.
std::string find_mosquitto();
// The plugin that bounds what a module publishes (broker_limits_plugin.cpp):
// beside this program, or in ../lib/checkout-edge/; throws when missing.
std::string find_broker_limits_plugin();
// Two loopback listeners: `staff_port` for the runtime and staff (the admin
// key), `module_port` for modules, where a client's id is its login.
// Anonymous clients are refused; `identities` are the logins and what each
// may do; with `settings.hub_*_file`, both listeners speak TLS only. On the
// modules' listener, find_broker_limits_plugin() bounds retained messages
// and sizes.
std::vector<std::string> prepare_broker(const StateDir& state, int staff_port, int module_port,
                                        const HubIdentities& identities,
                                        const RuntimeSettings& settings);

}  // namespace ce
