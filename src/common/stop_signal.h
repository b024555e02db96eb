// SIGINT/SIGTERM as a value a loop can wait on. Call block_stop_signals()
// first thing in main(), so every thread made after inherits the mask and
// wait_for_stop() sees the signal; a thread a library made before main()
// hands it on through a handler.
#pragma once

#include <chrono>
#include <functional>

namespace ce {

void block_stop_signals();
// Sleeps up to `timeout`; returns true once a stop signal has arrived.
// Returns false early, too, when wake_waiting() was called (in any thread)
// since main()'s thread last waited: work arrived that should not wait for
// the next tick. Only main()'s thread is woken.
bool wait_for_stop(std::chrono::milliseconds timeout);
void wake_waiting();
// False on a thread other than main()'s, or before block_stop_signals():
// there wake_waiting() does not end a wait early, so a loop that counts on
// it must poll.
bool wakes_reach_this_thread();
// A child's exit (SIGCHLD) wakes the waiter too: a supervisor reaps it at
// once rather than at its next tick.
void wake_waiting_when_a_child_exits();
// True once wait_for_stop() has seen the signal (or request_stop() was
// called): a loop that never waits must not rely on it alone.
bool stop_requested();
void request_stop();  // e.g. from a test or a command that ends by itself
// Runs `work` on its own thread while this one waits for the stop signal;
// `work` polls stop_requested() (a device read, a frame queue) and returns
// once it is set. Returns when `work` has.
void run_until_stopped(const std::function<void()>& work);

}  // namespace ce
