// The benchmarks' clocks: wall, the calling thread's CPU (CLOCK_THREAD_CPUTIME_ID: spinning
// shows here) and the process's CPU (all threads), summed into a Sample and printed per run as a
// markdown table row.
#pragma once

#include <time.h>

#include <cstdio>

namespace wlgpu::bench {

inline double now_ms(clockid_t c) {
    timespec t{};
    clock_gettime(c, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

struct Sample {
    double wall = 0, thread = 0, process = 0;
};

// Started at construction; add_to adds what passed since to a Sample.
struct Meter {
    double w0 = now_ms(CLOCK_MONOTONIC), t0 = now_ms(CLOCK_THREAD_CPUTIME_ID), p0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    void add_to(Sample& s) const {
        s.wall += now_ms(CLOCK_MONOTONIC) - w0;
        s.thread += now_ms(CLOCK_THREAD_CPUTIME_ID) - t0;
        s.process += now_ms(CLOCK_PROCESS_CPUTIME_ID) - p0;
    }
};

// "| name | wall | thread | process |", each the mean over n.
inline void row(const char* name, const Sample& s, int n) {
    std::printf("| %s | %.3f | %.3f | %.3f |\n", name, s.wall / n, s.thread / n, s.process / n);
}

}  // namespace wlgpu::bench
