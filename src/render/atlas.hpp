// The renderer's texture atlases (atlas.cpp). A draw of a texture samples its own texture
// through its own bind group, and every distinct texture of a frame costs Dawn CPU time (the
// bind group switch, the draw call, the pass's usage tracking: ~0.7 us each on the H200,
// docs/perf.md). Small textures that stay unchanged are therefore copied (GPU-side,
// copyTextureToTexture) into one atlas texture per WebGPU format, and drawn from there: draws of
// many of them share one bind group and consecutive ones merge into one instanced draw call.
//
// A texture enters the atlas when
//   - every write into it is counted (Texture::content_tracked: made by create or from_pixels,
//     not wrapped; not shared memory, so no DMA-BUF; not YUV), it cannot be a render target
//     and it has CopySrc;
//   - it is at most a quarter of the largest atlas on each side (RendererOptions::
//     atlas_max_size: 1024 of 4096);
//   - an earlier frame drew it with the same content (Texture::content_version): a texture
//     that changes every frame (an animating client) is drawn from itself, not copied every
//     frame, and a texture drawn in one frame only is not copied at all.
// It is copied again into its place when its content changed and then stayed for a frame.
// Placements are shelves (rows of entries of similar height), never freed one by one: when
// one fails the atlas is full, and the next frame that begins alone (no other frame of this
// renderer open) starts it afresh: twice as large if it can grow (made at half the largest
// size), else at most once every kResetFrames frames (a working set larger than the atlas
// draws the rest from their own textures instead of copying every frame).
//
// Entries touch each other: a draw clamps its texture coordinates to the centres of its entry's
// edge texels (Instance::color, fs_texture), which is exactly what the sampler's clamp-to-edge
// does for a texture of its own, for bilinear and nearest filtering.
//
// The copies of new placements are queued and encoded by the next submit before its pass
// (flush): the queue orders them after every earlier submit's reads of the atlas.
#pragma once

#include <optional>

#include "render/renderer_impl.hpp"

namespace wlgpu::render::atlas {

constexpr uint64_t kResetFrames = 60;

struct Placement {
    WGPUBindGroup bind_group;  // the atlas's, for the filter (alive as long as the renderer)
    WGPUTexture texture;       // the atlas
    uint32_t x, y;             // the texture's texel (0, 0) in the atlas
    uint32_t size;             // the atlas's width and height
};

// Where a draw of t with filter samples t's content in an atlas, placing it there (its copy
// queued) when it qualifies; nullopt: the draw samples t itself.
std::optional<Placement> place(Renderer::Impl& r, const Texture& t, Filter filter);
// Rewrites a texture draw's texture coordinates (uv0, uv_s, uv_t: t's) into the atlas and sets
// its clamp rectangle (Instance::color) to the entry's edge texel centres.
void map_instance(const Placement& p, const Texture& t, Instance& in);
// A frame begins (Renderer::begin) / is destroyed: counts open frames, and starts a full atlas
// afresh when the beginning frame is the only one open.
void frame_begun(Renderer::Impl& r);
void frame_ended(Renderer::Impl& r);
// Encodes the queued copies into enc (Frame::submit, before anything that may draw).
void flush(Renderer::Impl& r, WGPUCommandEncoder enc);
// The device is lost: drops the atlases (their placements become void).
void forget(Renderer::Impl& r);

}  // namespace wlgpu::render::atlas
