// AsyncSignalsBlocked (common/signals_blocked.hpp).
#include "common/signals_blocked.hpp"

#include <pthread.h>

#include <initializer_list>

namespace wlgpu {

const sigset_t& AsyncSignalsBlocked::async_signals() {
    static const sigset_t set = [] {
        sigset_t s;
        sigfillset(&s);
        for (int sync : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) sigdelset(&s, sync);
        return s;
    }();
    return set;
}

namespace {
// How many AsyncSignalsBlocked are alive in this thread. Only the outermost one changes the
// mask: inside it every async signal is already blocked, so a nested one (a frame's submit
// calling the read-back calling the wait) would make two system calls for nothing.
thread_local unsigned depth = 0;
}  // namespace

AsyncSignalsBlocked::AsyncSignalsBlocked() {
    if (depth++ == 0) pthread_sigmask(SIG_BLOCK, &async_signals(), &saved_);
}

AsyncSignalsBlocked::~AsyncSignalsBlocked() {
    if (--depth == 0) pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
}

}  // namespace wlgpu
