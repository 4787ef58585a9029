// Effects of the renderer (docs/effects.md): rounded textures and shapes, gradients, box
// shadows, user WGSL effects and post-processing. Their per-draw data (EffectInstance, 256
// bytes) rides in the frame's one instance buffer as four Instance slots, so effect draws
// batch and order with the plain ones in the same pass. The state (shader module, pipelines,
// the pooled snapshot textures) lives in Renderer::Impl::effects.
#pragma once

#include <string>

#include "render/renderer_impl.hpp"

namespace wlgpu::render::effects {

// One effect draw: 16 vec4 vertex attributes (14 used), instance step mode.
struct EffectInstance {
    float rect[4];     // x0, y0, x1, y1 in normalized device coordinates (the quad)
    float uv_a[4];     // uv0.xy, uv_s.xy (textures)
    float uv_b[4];     // uv_t.xy, alpha, flags (kFlagSwapRb | kFlagOpaque)
    float box[4];      // the shape: x, y, width, height in target pixels
    float radii[4];    // top-left, top-right, bottom-right, bottom-left (clamped)
    float extra[4];    // time, shadow sigma, 0, 0
    float data[8][4];  // fills: from, to, (start, end | centre, angle); user effects: user
    float hole[4];     // shapes and shadows: a rounded box left undrawn (x, y, width, height)
    float hole_radii[4];
};
static_assert(sizeof(EffectInstance) == 4 * sizeof(Instance));
constexpr uint32_t kAttributes = 16;  // rect .. hole_radii, at locations 0..15 (FxIn)
constexpr uint32_t kSlots = sizeof(EffectInstance) / sizeof(Instance);

// Built-in effect pipelines; user effects are kUserFirst + the effect's id.
enum BuiltinKind : uint32_t {
    kTexture = kEffectKindFirst, kSolid, kLinear, kConic, kShadow, kBlurDown, kBlurUp, kBlurComposite,
    kShadowedTexture, kBlurCompositePlain, kShadowRing,
};
// Vertices of one instance: a quad (a 4-vertex strip), or for kShadowRing the frame between the
// quad (rect) and an inner rect (uv_a, normalized device coordinates) as a 10-vertex strip.
constexpr uint32_t vertices(Kind kind) { return uint32_t(kind) == kShadowRing ? 10 : 4; }
constexpr uint32_t kUserFirst = 1u << 16;

extern const char* const kEffectsWgsl;      // the shared part: vertex stage, shapes, sampling
extern const char* const kBuiltinFragWgsl;  // the built-in fragment entry points
extern const char* const kUserFragWgsl;     // fs_user, which calls the user's effect()

Result<WGPURenderPipeline> pipeline(Renderer::Impl& r, PipelineKey key);
constexpr uint32_t kMaxBlurPasses = 8;

// Kind::snapshot in the command list: copies the target into its pooled snapshot texture; for a
// blur (snapshot.count passes) then runs the down and up passes, whose instances start at slot
// snapshot.first, into the pool's levels (the result in the snapshot).
Result<void> encode_snapshot(Renderer::Impl& r, const Frame::Impl& f, const Cmd& snapshot, WGPUCommandEncoder enc);

}  // namespace wlgpu::render::effects
