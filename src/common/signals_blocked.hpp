// AsyncSignalsBlocked: every asynchronous signal blocked in the calling thread for a scope,
// the caller's mask restored after.
//
// Threads inherit the signal mask of the thread that creates them. Dawn, the Vulkan loader and
// the drivers (llvmpipe's rasteriser and queue threads, NVIDIA's) start threads from inside
// our calls, on the host's thread; a compositor that takes SIGCHLD/SIGTERM through signalfd
// (wl_event_loop_add_signal) blocks them in its own thread only, so such a thread would take
// them instead: SIGCHLD lost, SIGTERM killing the process. Every wlgpu entry point that can
// make Dawn or the driver start a thread (device creation, pipeline creation, submits,
// imports, fence waits) and wlgpu's own threads hold one of these. Synchronous fault signals
// (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS) stay as they are: blocking them
// would hide crashes. Nested instances in one thread cost nothing: only the outermost one
// changes the mask (two system calls).
#pragma once

#include <signal.h>

namespace wlgpu {

class AsyncSignalsBlocked {
public:
    AsyncSignalsBlocked();
    ~AsyncSignalsBlocked();
    AsyncSignalsBlocked(const AsyncSignalsBlocked&) = delete;
    AsyncSignalsBlocked& operator=(const AsyncSignalsBlocked&) = delete;

    // The signals an instance blocks (all but the synchronous fault signals).
    static const sigset_t& async_signals();

private:
    sigset_t saved_;
};

}  // namespace wlgpu
