// SIGINT/SIGTERM as a value a loop can wait on. Call block_stop_signals()
// first thing in main(), before any thread exists, so every thread inherits
// the mask and only wait_for_stop() ever sees the signal.
#pragma once

#include <chrono>

namespace ce {

void block_stop_signals();
// Sleeps up to `timeout`; returns true once a stop signal has arrived.
bool wait_for_stop(std::chrono::milliseconds timeout);
bool stop_requested();
void request_stop();  // e.g. from a test or a command that ends by itself

}  // namespace ce
