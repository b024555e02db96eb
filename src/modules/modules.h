// The built-in modules. Each runs until SIGTERM/SIGINT and returns an exit
// code; a thrown exception means the module cannot run as configured.
#pragma once

#include <nlohmann/json.hpp>

#include "checkout-edge/module.h"

namespace ce {

int run_camera(ModuleClient& client, const nlohmann::json& desired);
int run_classifier(ModuleClient& client, const nlohmann::json& desired);
int run_scale(ModuleClient& client, const nlohmann::json& desired);
int run_checkout(ModuleClient& client, const nlohmann::json& desired);
int run_speech(ModuleClient& client, const nlohmann::json& desired);
int run_keypad(ModuleClient& client, const nlohmann::json& desired);

// Looks the module up by name, connects it to the hub and runs it.
int run_builtin_module(const std::string& name);

}  // namespace ce
