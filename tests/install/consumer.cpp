// The README's C++ snippet, built against the installed tree only (find_package(wlgpu),
// wlgpu::wlgpu: no C++ standard set by this project, the target carries C++23).
#include <cstdio>

#include <wlgpu/bridge.hpp>
#include <wlgpu/render.hpp>
#include <wlgpu/version.h>

int main() {
    auto bridge = wlgpu::Bridge::create({});
    if (!bridge) {
        std::fprintf(stderr, "consumer-cpp: %s\n", bridge.error().message.c_str());
        return 1;
    }
    auto renderer = wlgpu::Renderer::create(**bridge);
    if (!renderer) {
        std::fprintf(stderr, "consumer-cpp: %s\n", renderer.error().message.c_str());
        return 1;
    }
    std::printf("consumer-cpp: wlgpu %s: %s\n", wlgpu_version(), (*bridge)->summary().c_str());
    return 0;
}
