// Compositing in a compute pass (RendererOptions::composite = Composite::compute, or
// WLGPU_COMPOSITE=compute): the frame's texture and rect draws written by a compute shader
// instead of a render pass. GPUs built for compute (NVIDIA's H100/H200) have few raster units,
// and a fragment shader's pixels all pass through them; a compute shader's writes do not
// (bench/compute measures the two on an adapter, docs/perf.md).
//
// The touched part of the target (the bounding box of what the draws write) is copied into the
// renderer's storage buffer (rows of 4-byte pixels, as the target's memory holds them), the
// draws blend into it (the same sampling, texel flags, alpha and blending as the render
// pipelines: src/render/shaders.cpp), and the box is copied back into the target. Consecutive
// draws of one texture (or rects) share a dispatch, each invocation one pixel of their bounding
// box applying, in order, every draw that covers it (so overlapping draws keep their order);
// a dispatch takes at most 64 draws, over a box at most twice the pixels they write. Frames that
// hold anything else (YUV, effects) or whose target is not an 8-bit RGBA/BGRA texture that can
// be copied to and from use the render pass.
#pragma once

#include "render/renderer_impl.hpp"

namespace wlgpu::render::compute {

// Whether f is composited in a compute pass (see above): the renderer asks for it, f has
// something to draw or clear, every command and the target qualify, and the dispatches write
// the renderer's compute_min pixels (each on average, and in all). Where true, it has planned f's
// dispatches for encode(), which must follow before f changes.
bool plan(Frame::Impl& f);

// Encodes the planned f's clear and draws into enc (one compute pass, with the timer's
// timestamps) and writes their parameters into the renderer's buffers (queue writes, before
// the submit).
Result<void> encode(Frame::Impl& f, WGPUCommandEncoder enc);

}  // namespace wlgpu::render::compute
