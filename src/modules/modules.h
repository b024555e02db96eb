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
int run_barcodes(ModuleClient& client, const nlohmann::json& desired);
int run_scanner(ModuleClient& client, const nlohmann::json& desired);
int run_web(ModuleClient& client, const nlohmann::json& desired);

// Each throws SettingError (or an error naming the file) when the module
// would refuse `desired` at start; it opens no device, model or port.
void check_camera_settings(const nlohmann::json& desired);
void check_classifier_settings(const nlohmann::json& desired);
void check_scale_settings(const nlohmann::json& desired);
void check_checkout_settings(const nlohmann::json& desired);
void check_speech_settings(const nlohmann::json& desired);
void check_keypad_settings(const nlohmann::json& desired);
void check_barcodes_settings(const nlohmann::json& desired);
void check_scanner_settings(const nlohmann::json& desired);
void check_web_settings(const nlohmann::json& desired);
// By the module's name; the runtime checks twins and deployments with it.
void check_builtin_settings(const std::string& name, const nlohmann::json& desired);

// Looks the module up by name, connects it to the hub and runs it.
int run_builtin_module(const std::string& name);

}  // namespace ce
