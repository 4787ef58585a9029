// Threads that wlgpu caused (Dawn's, the Vulkan driver's, wlgpu's own) must keep the signals a
// host takes through signalfd blocked (src/common/signals_blocked.hpp says why). Reads every
// thread's SigBlk from /proc/self/task/*/status.
//
// signal_mask_env.cpp adds a GoogleTest environment to each test binary that checks this after
// all of its tests ran (whatever workload they made); tests call expect_library_threads_block_
// host_signals() at chosen points too (while wlgpu's own worker threads are alive). Threads
// that existed when the binary started (the main thread, a sanitizer's) are not checked; a
// test's own threads must be joined before it checks.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace wlgpu::test {

struct ThreadMask {
    pid_t tid = 0;
    std::string name;
    uint64_t blocked = 0;  // SigBlk: bit (n - 1) = signal n
};

inline std::vector<ThreadMask> process_threads() {
    std::vector<ThreadMask> out;
    DIR* d = opendir("/proc/self/task");
    if (!d) return out;
    while (auto* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        ThreadMask t;
        t.tid = pid_t(std::stol(e->d_name));
        std::ifstream f(std::string("/proc/self/task/") + e->d_name + "/status");
        std::string line;
        bool got = false;
        while (std::getline(f, line)) {
            if (line.rfind("Name:", 0) == 0) t.name = line.substr(line.find_first_not_of(" \t", 5));
            if (line.rfind("SigBlk:", 0) == 0) t.blocked = std::stoull(line.substr(7), nullptr, 16), got = true;
        }
        if (got) out.push_back(t);  // a thread that ended meanwhile has no status
    }
    closedir(d);
    return out;
}

// The threads present when the binary started, before any wlgpu call (dynamic initialisation).
inline const std::set<pid_t> g_startup_threads = [] {
    std::set<pid_t> s;
    for (const auto& t : process_threads()) s.insert(t.tid);
    return s;
}();

// Threads a test started itself, directly or through its own use of a driver (a raw Vulkan
// host device): not the library's, not checked.
inline std::set<pid_t>& test_threads() {
    static std::set<pid_t> s;
    return s;
}

// Runs fn, the test's own driver use; the threads that appear meanwhile go to test_threads().
template <typename F>
auto as_test_threads(F&& fn) {
    std::set<pid_t> before;
    for (const auto& t : process_threads()) before.insert(t.tid);
    auto r = fn();
    for (const auto& t : process_threads())
        if (!before.count(t.tid)) test_threads().insert(t.tid);
    return r;
}

// What a compositor's event loop takes through signalfd, and what must not kill it.
constexpr int kHostSignals[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM};

// Adds a failure for every thread created since start-up that leaves one of kHostSignals
// unblocked; returns how many threads it checked.
inline int expect_library_threads_block_host_signals(const char* when) {
    int checked = 0;
    for (const auto& t : process_threads()) {
        if (g_startup_threads.count(t.tid) || test_threads().count(t.tid)) continue;
        checked++;
        std::string open;
        for (int sig : kHostSignals)
            if (!(t.blocked >> (sig - 1) & 1)) open += std::string(open.empty() ? "" : ", ") + sigabbrev_np(sig);
        EXPECT_TRUE(open.empty()) << when << ": thread " << t.tid << " '" << t.name << "' (SigBlk "
                                  << std::hex << t.blocked << std::dec << ") does not block SIG" << open
                                  << ": it would take the host's signals (signalfd never sees them)";
    }
    return checked;
}

}  // namespace wlgpu::test
