// Composite::automatic: whether this device composites faster in a render pass or in a compute
// pass (src/render/compute.hpp), decided once per device. A CPU adapter (lavapipe) takes the
// render pass without measuring: llvmpipe's rasteriser blends 2x faster than a compute dispatch
// walks the target (bench_compute, docs/perf.md). Any other adapter is measured: the same
// frame, both ways, interleaved, by the wall time of submit + wait (the compute path's copies
// included). The NVIDIA H200 composites 1080p full redraws about 3x faster in the compute pass.
#pragma once

#include "wlgpu/render.hpp"

namespace wlgpu::render {

// Where the compute pass is chosen, it takes only frames whose draws cover at least this many
// pixels each on average (the clear counts as one draw of the whole target): on the H200 a
// dispatch costs the CPU some 2.3 us more than a draw of the render pass (which batches many
// draws into one call), and saves the GPU about 0.08 ns a pixel (1080p blended in 0.19 ms by
// the render pass, 0.027 ms by the compute pass), so below some 30000 pixels a draw the CPU
// loses more than the GPU gains. A compositor's frame of a background and a few windows is far above the bar; so
// are bench/render's larger surfaces, whose frames of 64 draws cost the H200's CPU 1.2x raw
// Dawn's in the compute pass and 0.47x in the render pass (the GPU 0.25 against 0.55 ms):
// a trade this rule does not settle (docs/perf.md, "Twelfth session").
inline constexpr uint64_t kComputeMinPixelsPerDraw = 32768;

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
