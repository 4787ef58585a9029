// WGSL of the renderer: one module, a quad per instance (triangle strip of 4 vertices).
#include <string>

#include "render/renderer_impl.hpp"

namespace wlgpu::render {

const char* const kQuadVertexWgsl = R"(
struct VertexOut {
    @builtin(position) pos: vec4f,
    @location(0) uv: vec2f,
    @location(1) @interpolate(flat) params: vec2f,  // alpha, flags
    @location(2) @interpolate(flat) color: vec4f,
}

@vertex
fn vs_main(@builtin(vertex_index) vi: u32,
           @location(0) rect: vec4f,
           @location(1) uv_a: vec4f,   // uv0.xy, uv_s.xy
           @location(2) uv_b: vec4f,   // uv_t.xy, alpha, flags
           @location(3) color: vec4f) -> VertexOut {
    let s = f32(vi & 1u);
    let t = f32(vi >> 1u);
    var out: VertexOut;
    out.pos = vec4f(mix(rect.x, rect.z, s), mix(rect.y, rect.w, t), 0.0, 1.0);
    out.uv = uv_a.xy + uv_a.zw * s + uv_b.xy * t;
    out.params = uv_b.zw;
    out.color = color;
    return out;
}

)";

// A sampled texel as wlgpu draws it: channel order swapped (kFlagSwapRb) and alpha forced to 1
// for formats without one (kFlagOpaque). Shared by fs_texture and the effects' wlgpu_texel.
const char* const kTexelFlagsWgsl = R"(
fn wlgpu_apply_texel_flags(texel: vec4f, flags: u32) -> vec4f {
    var c = texel;
    if ((flags & 1u) != 0u) {
        c = c.bgra;
    }
    if ((flags & 2u) != 0u) {
        c.a = 1.0;
    }
    return c;
}
)";

const std::string kShaderWgsl = std::string(kQuadVertexWgsl) + kTexelFlagsWgsl + R"(
@group(0) @binding(0) var tex: texture_2d<f32>;
@group(0) @binding(1) var smp: sampler;

@fragment
fn fs_texture(in: VertexOut) -> @location(0) vec4f {
    // color: the texel centres to clamp to (the edges of an atlas entry: src/render/atlas.hpp).
    let uv = clamp(in.uv, in.color.xy, in.color.zw);
    let c = wlgpu_apply_texel_flags(textureSample(tex, smp, uv), u32(in.params.y + 0.5));
    return c * in.params.x;
}

@fragment
fn fs_rect(in: VertexOut) -> @location(0) vec4f {
    return in.color;
}
)";

}  // namespace wlgpu::render
