// The benchmarks' clocks: wall, the calling thread's CPU (CLOCK_THREAD_CPUTIME_ID: spinning
// shows here) and the process's CPU (all threads), summed into a Sample and printed per run as a
// markdown table row; and the median of a run's per-frame figures.
#pragma once

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <vector>

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

// The median of v (the mean of the middle two for an even count), 0 when v is empty.
inline double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::ranges::sort(v);
    const size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

}  // namespace wlgpu::bench
