// Composite::automatic: whether this device composites faster in a render pass or in a compute
// pass (src/render/compute.hpp), decided once per device. A CPU adapter (lavapipe) takes the
// render pass without measuring: llvmpipe's rasteriser blends 2x faster than a compute dispatch
// walks the target (bench_compute, docs/perf.md). Any other adapter is measured: the same
// frame, both ways, interleaved, by the wall time of submit + wait (the compute path's copies
// included). The NVIDIA H200 composites 1080p full redraws about 3x faster in the compute pass.
#pragma once

#include "wlgpu/render.hpp"

namespace wlgpu::render {

// Where the compute pass is chosen, it takes only frames whose dispatches write at least
// kComputeMinPixelsPerDispatch pixels each on average (the clear counts as one dispatch of the
// whole target) and kComputeMinPixelsPerFrame in all. On the H200 a dispatch costs the CPU some
// 2.3 us more than a draw of the render pass, and the compute path's fixed cost (its two
// copies, a pass) about 40 us more than a render pass, while the GPU saves about 0.08 ns a
// pixel (1080p blended in 0.19 ms by the render pass, 0.027 ms by the compute pass): break-even
// near 30000 pixels a dispatch and 500000 a frame. A compositor's full redraw is far above both
// bars; a damage-only frame of one small window is below the second (docs/perf.md).
inline constexpr uint64_t kComputeMinPixelsPerDispatch = 32768, kComputeMinPixelsPerFrame = 1 << 19;

// One frame's wall time each way (median), submit + wait.
struct CompositeTimes {
    double raster_ms = 0, compute_ms = 0;
};

// Renders frames + 1 frames each way (the first of each not counted), alternating: a w x h
// ARGB8888 target cleared, then `layers` translucent rects over all of it. Fails if the compute
// frames did not use the compute pass. r's composite setting is restored; its stats keep the
// frames.
Result<CompositeTimes> measure_composite(Renderer& r, uint32_t w, uint32_t h, int frames, int layers);

// The rule: the compute pass when it takes at most 3/4 of the render pass's time (a margin, so
// that measurement noise on GPUs where both are equal keeps the render pass, which every frame
// can use).
bool prefer_compute(const CompositeTimes& t);

// Composite::automatic resolved for r's device (see the top; measured at 1920x1080 with 6
// layers, 5 frames each way, a few milliseconds on a GPU), cached by Bridge::serial. A failed
// measurement gives Composite::raster.
Composite automatic_composite(Renderer& r);

}  // namespace wlgpu::render
