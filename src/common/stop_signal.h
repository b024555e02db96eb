// SIGINT/SIGTERM as a value a loop can wait on. Call block_stop_signals()
// first thing in main(), before any thread exists, so every thread inherits
// the mask and only wait_for_stop() ever sees the signal.
#pragma once

#include <chrono>
#include <functional>

namespace ce {

void block_stop_signals();
// Sleeps up to `timeout`; returns true once a stop signal has arrived.
// Returns false early, too, when wake_waiting() was called (in any thread)
// since the last wait: work arrived that should not wait for the next tick.
bool wait_for_stop(std::chrono::milliseconds timeout);
void wake_waiting();
// True once wait_for_stop() has seen the signal (or request_stop() was
// called): a loop that never waits must not rely on it alone.
bool stop_requested();
void request_stop();  // e.g. from a test or a command that ends by itself
// Runs `work` on its own thread while this one waits for the stop signal;
// `work` polls stop_requested() (a device read, a frame queue) and returns
// once it is set. Returns when `work` has.
void run_until_stopped(const std::function<void()>& work);

}  // namespace ce
