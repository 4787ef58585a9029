// One shared Dawn device per test process (requestAdapter is slow under TCG).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "wlgpu/bridge.hpp"

namespace wlgpu::test {

struct GpuState {
    std::unique_ptr<Bridge> bridge;
    std::vector<std::string> uncaptured;  // uncaptured errors seen since the last clear
    std::string error;
};

inline GpuState& gpu_state() {
    static GpuState* s = [] {
        auto* st = new GpuState();
        BridgeOptions o;
        o.on_uncaptured_error = [st](WGPUErrorType, std::string_view m) { st->uncaptured.emplace_back(m); };
        auto b = Bridge::create(std::move(o));
        if (b) {
            st->bridge = std::move(*b);
            std::fprintf(stderr, "[wlgpu test] %s\n", st->bridge->summary().c_str());
        } else {
            st->error = b.error().message;
        }
        return st;
    }();
    return *s;
}

inline Bridge& gpu() {
    auto& s = gpu_state();
    if (!s.bridge) throw std::runtime_error("no GPU: " + s.error);
    return *s.bridge;
}

// The tests' adapter is llvmpipe (lavapipe): where wlgpu fills opaque rects from its fill buffer.
inline bool gpu_is_llvmpipe() {
    const AdapterIdentity& id = gpu().identity();
    return id.type == WGPUAdapterType_CPU && id.name.find("llvmpipe") != std::string::npos;
}

}  // namespace wlgpu::test
