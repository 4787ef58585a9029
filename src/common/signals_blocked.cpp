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

AsyncSignalsBlocked::AsyncSignalsBlocked() { pthread_sigmask(SIG_BLOCK, &async_signals(), &saved_); }

AsyncSignalsBlocked::~AsyncSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

}  // namespace wlgpu
