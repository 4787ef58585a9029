// WGSL of the YUV pipeline. Vertex stage: the renderer's instance layout (render::Instance).
// Fragment stage: samples the Y and chroma planes and converts with the per-texture matrix.
//
// Chroma siting: the chroma planes are sampled at the same normalised coordinates as luma, so
// a chroma sample sits at the centre of the luma samples it covers (Vulkan's
// VK_CHROMA_LOCATION_MIDPOINT in x and y, what wlroots' Vulkan renderer uses; wlroots 0.20
// passes no chroma location to renderers). With the nearest filter at 1:1 scale pixel (x, y)
// gets chroma sample (x / sub_x, y / sub_y), exactly.
//
// P010 (kind 4): the planes are byte reinterpretations (Y: RG8 = low/high byte of each 16-bit
// sample; CbCr: RGBA8 of width/2 = Cb low/high, Cr low/high), which cannot be filtered. Each
// sample is rebuilt exactly (round(unorm * 255) per byte) and reduced to its 10-bit code
// (sample >> 6, the ITU 10-bit value; the low 6 bits are ignored); the matrix takes codes.
// Nearest: one textureLoad per plane, exact. Bilinear: 4 textureLoads per plane (clamped to the
// edge), weights from the texel coordinates, like the sampler with the same siting.
//
// YUYV/UYVY (kinds 2, 3): one RGBA8 texel of half width per two pixels, unpacked here. Luma and
// chroma are filtered each on its own grid (chroma: half width), with the same midpoint siting
// as the planar formats; nearest is exact at 1:1.
#include <string>

#include "render/renderer_impl.hpp"
#include "render/yuv.hpp"

namespace wlgpu::render::yuv {

const std::string kYuvShaderWgsl = std::string(render::kQuadVertexWgsl) + R"(
struct Yuv {
    r: vec4f,  // rgb.r = dot(r, vec4(y, cb, cr, 1))
    g: vec4f,
    b: vec4f,
    kind: u32,    // 0: Y + CbCr, 1: Y + Cb + Cr, 2: YUYV, 3: UYVY, 4: P010 (bytes)
    swap: u32,    // 1: the chroma plane holds CrCb (NV21)
    nearest: u32, // 0: bilinear, 1: nearest (for the packed formats, filtered here)
    pad: u32,
}

@group(0) @binding(0) var t0: texture_2d<f32>;
@group(0) @binding(1) var t1: texture_2d<f32>;
@group(0) @binding(2) var t2: texture_2d<f32>;
@group(0) @binding(3) var smp: sampler;
@group(0) @binding(4) var<uniform> u: Yuv;

// Packed 4:2:2: each RGBA8 texel (half width) holds two luma samples and one Cb/Cr pair.
// Luma sample at luma pixel p, chroma pair at chroma texel c (both clamped to the edge).
fn packed_y_at(p: vec2i) -> f32 {
    let dims = vec2i(textureDimensions(t0));
    let q = clamp(p, vec2i(0, 0), vec2i(dims.x * 2 - 1, dims.y - 1));
    let texel = textureLoad(t0, vec2i(q.x / 2, q.y), 0);
    let odd = (q.x & 1) == 1;
    if (u.kind == 2u) {
        return select(texel.r, texel.b, odd);  // Y0 Cb Y1 Cr
    }
    return select(texel.g, texel.a, odd);      // Cb Y0 Cr Y1
}
fn packed_c_at(c: vec2i) -> vec2f {
    let dims = vec2i(textureDimensions(t0));
    let texel = textureLoad(t0, clamp(c, vec2i(0, 0), dims - 1), 0);
    if (u.kind == 2u) {
        return texel.ga;
    }
    return texel.rb;
}
// Packed 4:2:2 with the planar formats' siting: luma on the luma grid, chroma on the half-width
// chroma grid at the same normalised coordinate (midpoint), each filtered on its own grid.
fn sample_packed(uv: vec2f) -> vec3f {
    let cs = vec2f(textureDimensions(t0));
    let ys = vec2f(cs.x * 2.0, cs.y);
    if (u.nearest == 1u) {
        return vec3f(packed_y_at(vec2i(floor(uv * ys))), packed_c_at(vec2i(floor(uv * cs))));
    }
    let py = uv * ys - 0.5;
    let iy = vec2i(floor(py));
    let fy = fract(py);
    let y = mix(mix(packed_y_at(iy), packed_y_at(iy + vec2i(1, 0)), fy.x),
                mix(packed_y_at(iy + vec2i(0, 1)), packed_y_at(iy + vec2i(1, 1)), fy.x), fy.y);
    let pc = uv * cs - 0.5;
    let ic = vec2i(floor(pc));
    let fc = fract(pc);
    let c = mix(mix(packed_c_at(ic), packed_c_at(ic + vec2i(1, 0)), fc.x),
                mix(packed_c_at(ic + vec2i(0, 1)), packed_c_at(ic + vec2i(1, 1)), fc.x), fc.y);
    return vec3f(y, c);
}

// P010: a 16-bit sample from its two unorm8 bytes (low, high) -> 10-bit code.
fn code10(lo: f32, hi: f32) -> f32 {
    let v = u32(round(lo * 255.0)) | (u32(round(hi * 255.0)) << 8u);
    return f32(v >> 6u);
}
fn p010_y_at(p: vec2i) -> f32 {
    let dims = vec2i(textureDimensions(t0));
    let t = textureLoad(t0, clamp(p, vec2i(0, 0), dims - 1), 0);
    return code10(t.r, t.g);
}
fn p010_c_at(p: vec2i) -> vec2f {
    let dims = vec2i(textureDimensions(t1));
    let t = textureLoad(t1, clamp(p, vec2i(0, 0), dims - 1), 0);
    return vec2f(code10(t.r, t.g), code10(t.b, t.a));
}
fn sample_p010(uv: vec2f) -> vec3f {
    let ys = vec2f(textureDimensions(t0));
    let cs = vec2f(textureDimensions(t1));
    if (u.nearest == 1u) {
        return vec3f(p010_y_at(vec2i(floor(uv * ys))), p010_c_at(vec2i(floor(uv * cs))));
    }
    let py = uv * ys - 0.5;
    let iy = vec2i(floor(py));
    let fy = fract(py);
    let y = mix(mix(p010_y_at(iy), p010_y_at(iy + vec2i(1, 0)), fy.x),
                mix(p010_y_at(iy + vec2i(0, 1)), p010_y_at(iy + vec2i(1, 1)), fy.x), fy.y);
    let pc = uv * cs - 0.5;
    let ic = vec2i(floor(pc));
    let fc = fract(pc);
    let c = mix(mix(p010_c_at(ic), p010_c_at(ic + vec2i(1, 0)), fc.x),
                mix(p010_c_at(ic + vec2i(0, 1)), p010_c_at(ic + vec2i(1, 1)), fc.x), fc.y);
    return vec3f(y, c);
}

fn sample_yuv(uv: vec2f) -> vec3f {
    if (u.kind == 4u) {
        return sample_p010(uv);
    }
    if (u.kind >= 2u) {
        return sample_packed(uv);
    }
    let y = textureSampleLevel(t0, smp, uv, 0.0).r;
    if (u.kind == 1u) {
        return vec3f(y, textureSampleLevel(t1, smp, uv, 0.0).r, textureSampleLevel(t2, smp, uv, 0.0).r);
    }
    let c = textureSampleLevel(t1, smp, uv, 0.0).rg;
    if (u.swap == 1u) {
        return vec3f(y, c.g, c.r);
    }
    return vec3f(y, c.r, c.g);
}

@fragment
fn fs_yuv(in: VertexOut) -> @location(0) vec4f {
    let v = vec4f(sample_yuv(in.uv), 1.0);
    let rgb = clamp(vec3f(dot(u.r, v), dot(u.g, v), dot(u.b, v)), vec3f(0.0), vec3f(1.0));
    return vec4f(rgb, 1.0) * in.params.x;
}
)";

}  // namespace wlgpu::render::yuv
