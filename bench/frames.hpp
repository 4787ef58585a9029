// Pieces of a frame that several benchmarks build the same way: the clear and `quads`
// translucent (alpha 0.5, premultiplied) full-target quads of one texture, and the pacing of a
// compositor's frames (one every 16.7 ms, the thread asleep in between).
#pragma once

#include <time.h>

#include "wlgpu/render.hpp"

namespace wlgpu::bench {

// Clears f's target to opaque black and draws tex stretched over all of it, `quads` times.
inline Result<void> draw_translucent_quads(Frame& f, Texture& tex, uint32_t width, uint32_t height, int quads) {
    f.clear({0, 0, 0, 1});
    for (int i = 0; i < quads; i++) {
        TextureDraw d;
        d.texture = &tex;
        d.dst = {0, 0, int32_t(width), int32_t(height)};
        d.alpha = 0.5f;
        if (auto ok = f.draw_texture(d); !ok) return ok;
    }
    return {};
}

// Sleeps until 16.7 ms after next (CLOCK_MONOTONIC) and advances next by that.
inline void sleep_until_next_frame(timespec& next) {
    next.tv_nsec += 16'666'667;
    if (next.tv_nsec >= 1'000'000'000) next.tv_nsec -= 1'000'000'000, next.tv_sec++;
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
}

}  // namespace wlgpu::bench
