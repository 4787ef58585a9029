// The frame's background as the pass's clear. wlr_scene draws its background first (its
// background rect, or black), an opaque rect over the whole output clipped to the damage less
// the opaque windows above it, and then those windows, each replacing its pixels. When every
// pixel of the target is inside that rect's clip or replaced by a later Blend::none draw (before
// any snapshot of the target, which an effect such as a backdrop blur reads), the
// rect is the pass's clear colour: a load op instead of a full-screen draw (on a GPU whose
// rasteriser is the bottleneck, as on the NVIDIA H200, most of a full redraw's GPU time).
#pragma once

#include "render/renderer_impl.hpp"

namespace wlgpu::render::background {

// After a draw was pushed as instance `index` (nothing pushed: instances.size() <= index):
// blend is the draw's blend after the opaque-colour rule; colour is a rect's (premultiplied).
// The frame's first draw, an opaque rect over the whole target, becomes the candidate; every
// Blend::none draw records the pixels it replaces.
void note(Frame::Impl& f, Kind kind, Blend blend, Box dst, const Clip& clip, uint32_t index, Color colour = {});

// At submit, before the copies (blit::hoist): when the candidate and the later replacing draws
// cover the target, the candidate's commands go and its colour becomes f.load_clear. Counted
// in RenderStats::background_clears.
void to_clear(Frame::Impl& f);

// Whether the boxes (overlapping or not) together cover all of `all`.
bool covers(Box all, std::span<const Box> boxes);

}  // namespace wlgpu::render::background
