// What every libFuzzer target of wlgpu shares (fuzz/README.md): the input reader, one Dawn device
// per process, and the checks made after each input. A finding is an abort() with a message; the
// sanitizers (ASan, UBSan) and libFuzzer's crash handler catch the rest.
//   - the device is never lost (Bridge::lost);
//   - Dawn reports no uncaptured error: every bad parameter must be refused by wlgpu as an error
//     value before it reaches Dawn, never turned into a Dawn validation error;
//   - no fd leak: every kFdCheckEvery inputs (and at exit) Dawn's deferred releases are run
//     (Bridge::release_deferred) and /proc/self/fd is counted; more than kFdSlack above the first
//     count is a leak.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "import/test_dmabuf_alloc.hpp"  // count_fds, in_testbed
#include "support/gpu.hpp"               // the process's one Dawn device and its uncaptured errors
#include "wlgpu/bridge.hpp"

namespace wlgpu::fuzz {

// Little-endian fields read from the front of the input; zeros once it is exhausted, so every
// input decodes (fuzz/make_corpus.py writes the seeds in this layout).
class Input {
public:
    Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    template <class T>
    T get() {
        T v{};
        size_t n = std::min(sizeof(T), size_ - pos_);
        std::memcpy(&v, data_ + pos_, n);
        pos_ += n;
        return v;
    }
    uint8_t u8() { return get<uint8_t>(); }
    uint16_t u16() { return get<uint16_t>(); }
    uint32_t u32() { return get<uint32_t>(); }
    int32_t i32() { return get<int32_t>(); }
    uint64_t u64() { return get<uint64_t>(); }
    float f32() { return get<float>(); }    // raw bits: NaN and infinities included
    double f64() { return get<double>(); }

private:
    const uint8_t* data_;
    size_t size_, pos_ = 0;
};

[[noreturn]] inline void finding(const std::string& what) {
    std::fprintf(stderr, "wlgpu-fuzz FINDING: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

struct Harness {
    static constexpr uint64_t kFdCheckEvery = 512;
    static constexpr int kFdSlack = 8;

    Bridge* bridge;
    std::vector<std::string>* uncaptured;  // tests/support/gpu.hpp collects them
    uint64_t inputs = 0;
    int fd_baseline = -1, fd_last = -1;

    // Runs Dawn's deferred releases, counts fds, aborts on growth.
    void check_fds(const char* when) {
        if (auto r = bridge->release_deferred(); !r) finding("release_deferred: " + r.error().message);
        int n = fd_last = wlgpu::test::count_fds();
        if (fd_baseline < 0) fd_baseline = n;
        if (n > fd_baseline + kFdSlack)
            finding("fd leak " + std::string(when) + ": " + std::to_string(n) + " open fds, " +
                    std::to_string(fd_baseline) + " after the first check, after " + std::to_string(inputs) + " inputs");
    }
    // After each input: device loss and uncaptured Dawn errors at once, fds periodically.
    void after_input() {
        inputs++;
        bridge->process_events();
        if (bridge->lost()) finding("device lost after input " + std::to_string(inputs));
        if (!uncaptured->empty()) finding("uncaptured Dawn error: " + uncaptured->front());
        if (inputs % kFdCheckEvery == 0) check_fds("periodic");
    }
};

// The process's harness; the Dawn device is created on the first call.
inline Harness& harness() {
    static Harness* h = [] {
        auto& g = wlgpu::test::gpu_state();
        if (!g.bridge) {
            std::fprintf(stderr, "wlgpu-fuzz: no GPU: %s\n", g.error.c_str());
            std::exit(1);
        }
        if (wlgpu::test::in_testbed()) std::fprintf(stderr, "wlgpu-fuzz: test bed: real dma-bufs\n");
        return new Harness{g.bridge.get(), &g.uncaptured};
    }();
    return *h;
}

// What each LLVMFuzzerTestOneInput starts with: the harness, after the target's one-time setup
// (once per process) and with its report registered for exit.
inline Harness& start_input(void (*setup)(), void (*report)()) {
    static bool once = (setup(), std::atexit(report), true);
    (void)once;
    return harness();
}

}  // namespace wlgpu::fuzz
