// WGSL of the effects (see effects.hpp). A user module is the user's source first (so Dawn's
// line:column point into it), then kEffectsWgsl, then kUserFragWgsl.
#include "render/effects.hpp"

namespace wlgpu::render::effects {

const char* const kEffectsWgsl = R"(
struct FxIn {
    @location(0) rect: vec4f,
    @location(1) uv_a: vec4f,
    @location(2) uv_b: vec4f,
    @location(3) box: vec4f,
    @location(4) radii: vec4f,
    @location(5) extra: vec4f,
    @location(6) d0: vec4f, @location(7) d1: vec4f, @location(8) d2: vec4f, @location(9) d3: vec4f,
    @location(10) d4: vec4f, @location(11) d5: vec4f, @location(12) d6: vec4f, @location(13) d7: vec4f,
    @location(14) hole: vec4f, @location(15) hole_radii: vec4f,
}

struct FxOut {
    @builtin(position) pos: vec4f,
    @location(0) uv: vec2f,
    @location(1) @interpolate(flat) params: vec2f,  // alpha, flags
    @location(2) @interpolate(flat) box: vec4f,
    @location(3) @interpolate(flat) radii: vec4f,
    @location(4) @interpolate(flat) extra: vec4f,
    @location(5) @interpolate(flat) d0: vec4f, @location(6) @interpolate(flat) d1: vec4f,
    @location(7) @interpolate(flat) d2: vec4f, @location(8) @interpolate(flat) d3: vec4f,
    @location(9) @interpolate(flat) d4: vec4f, @location(10) @interpolate(flat) d5: vec4f,
    @location(11) @interpolate(flat) d6: vec4f, @location(12) @interpolate(flat) d7: vec4f,
    @location(13) @interpolate(flat) hole: vec4f, @location(14) @interpolate(flat) hole_radii: vec4f,
}

// The vertex at (s, t) of the quad (0..1 across it), at pos (normalized device coordinates).
fn wlgpu_fx_vertex(in: FxIn, pos: vec2f, s: f32, t: f32) -> FxOut {
    var out: FxOut;
    out.pos = vec4f(pos, 0.0, 1.0);
    out.uv = in.uv_a.xy + in.uv_a.zw * s + in.uv_b.xy * t;
    out.params = in.uv_b.zw;
    out.box = in.box;
    out.radii = in.radii;
    out.extra = in.extra;
    out.d0 = in.d0; out.d1 = in.d1; out.d2 = in.d2; out.d3 = in.d3;
    out.d4 = in.d4; out.d5 = in.d5; out.d6 = in.d6; out.d7 = in.d7;
    out.hole = in.hole;
    out.hole_radii = in.hole_radii;
    return out;
}

@vertex
fn vs_fx(@builtin(vertex_index) vi: u32, in: FxIn) -> FxOut {
    let s = f32(vi & 1u);
    let t = f32(vi >> 1u);
    return wlgpu_fx_vertex(in, vec2f(mix(in.rect.x, in.rect.z, s), mix(in.rect.y, in.rect.w, t)), s, t);
}

// The frame between the quad (rect) and an inner rect (uv_a; no texture is sampled), as a
// strip of 10 vertices: outer and inner corner k alternately, k = 0 1 2 3 0 clockwise from the
// top-left (the top, right, bottom and left trapezoids).
@vertex
fn vs_fx_ring(@builtin(vertex_index) vi: u32, in: FxIn) -> FxOut {
    let k = (vi >> 1u) & 3u;
    let s = select(0.0, 1.0, k == 1u || k == 2u);
    let t = select(0.0, 1.0, k >= 2u);
    let r = select(in.uv_a, in.rect, (vi & 1u) == 0u);
    let pos = vec2f(mix(r.x, r.z, s), mix(r.y, r.w, t));
    return wlgpu_fx_vertex(in, pos, (pos.x - in.rect.x) / (in.rect.z - in.rect.x), (pos.y - in.rect.y) / (in.rect.w - in.rect.y));
}

@group(0) @binding(0) var wlgpu_tex: texture_2d<f32>;
@group(0) @binding(1) var wlgpu_smp: sampler;

// The radius of the corner of p's quadrant (p relative to the box centre, y down).
fn wlgpu_corner(p: vec2f, r: vec4f) -> f32 {
    if (p.x < 0.0) {
        return select(r.x, r.w, p.y > 0.0);
    }
    return select(r.y, r.z, p.y > 0.0);
}

// Signed distance from pos to the rounded box (negative inside).
fn wlgpu_rounded_sd(pos: vec2f, box: vec4f, radii: vec4f) -> f32 {
    let half = box.zw * 0.5;
    let p = pos - (box.xy + half);
    let r = wlgpu_corner(p, radii);
    let q = abs(p) - half + vec2f(r);
    return min(max(q.x, q.y), 0.0) + length(max(q, vec2f(0.0))) - r;
}

// 1 outside the hole, 0 inside, anti-aliased like the box's edge (no hole: 1).
fn wlgpu_outside_hole(in: FxOut) -> f32 {
    if (in.hole.z <= 0.0 || in.hole.w <= 0.0) {
        return 1.0;
    }
    return clamp(0.5 + wlgpu_rounded_sd(in.pos.xy, in.hole, in.hole_radii), 0.0, 1.0);
}

fn wlgpu_coverage(in: FxOut) -> f32 {
    return clamp(0.5 - wlgpu_rounded_sd(in.pos.xy, in.box, in.radii), 0.0, 1.0) * wlgpu_outside_hole(in);
}

// The texel as fs_texture samples it (premultiplied, channel order and opaque flags applied).
fn wlgpu_texel(in: FxOut) -> vec4f {
    return wlgpu_apply_texel_flags(textureSample(wlgpu_tex, wlgpu_smp, in.uv), u32(in.params.y + 0.5));
}
)";

const char* const kBuiltinFragWgsl = R"(
@fragment
fn fs_fx_texture(in: FxOut) -> @location(0) vec4f {
    return wlgpu_texel(in) * (in.params.x * wlgpu_coverage(in));
}

@fragment
fn fs_fx_solid(in: FxOut) -> @location(0) vec4f {
    return in.d0 * wlgpu_coverage(in);
}

@fragment
fn fs_fx_linear(in: FxOut) -> @location(0) vec4f {
    let d = in.d2.zw - in.d2.xy;
    let t = clamp(dot(in.pos.xy - in.d2.xy, d) / max(dot(d, d), 1e-12), 0.0, 1.0);
    return mix(in.d0, in.d1, t) * wlgpu_coverage(in);
}

@fragment
fn fs_fx_conic(in: FxOut) -> @location(0) vec4f {
    let v = in.pos.xy - in.d2.xy;
    let t = fract((atan2(v.y, v.x) - in.d2.z) / 6.283185307179586);
    return mix(in.d0, in.d1, t) * wlgpu_coverage(in);
}

// erf, Abramowitz and Stegun 7.1.27 (|error| < 5e-4).
fn wlgpu_erf(x: vec2f) -> vec2f {
    let s = sign(x);
    let a = abs(x);
    var r = 1.0 + (0.278393 + (0.230389 + (0.000972 + 0.078108 * a) * a) * a) * a;
    r = r * r;
    return s - s / (r * r);
}

fn wlgpu_erf1(x: f32) -> f32 {
    let a = abs(x);
    var r = 1.0 + (0.278393 + (0.230389 + (0.000972 + 0.078108 * a) * a) * a) * a;
    r = r * r;
    return sign(x) * (1.0 - 1.0 / (r * r));
}

// The blur of the cutout of the corner at (+half.x, +half.y), radius r, at q (pos mirrored
// into that corner's quadrant: the Gaussian is symmetric), k = 1 / (sigma sqrt 2).
fn wlgpu_shadow_cutout(q: vec2f, half: vec2f, r: f32, sigma: f32, k: f32) -> f32 {
    let reach = 4.0 * sigma;
    if (r <= 0.0 || any(q < half - vec2f(r + reach)) || any(q > half + vec2f(reach))) {
        return 0.0;
    }
    let y0 = max(half.y - r, q.y - reach);
    let y1 = min(half.y, q.y + reach);
    if (y1 <= y0) {
        return 0.0;
    }
    let t0 = asin(clamp((y0 - (half.y - r)) / r, 0.0, 1.0));
    let t1 = asin(clamp((y1 - (half.y - r)) / r, 0.0, 1.0));
    let m = clamp(ceil(3.0 * r * (t1 - t0) / sigma), 1.0, 16.0);
    let dt = (t1 - t0) / m;
    let edge = wlgpu_erf1((q.x - half.x) * k);
    // cos and sin of t stepped by a rotation (one cos and sin of the step, not of every t).
    let rot = vec2f(cos(dt), sin(dt));
    var cs = vec2f(cos(t0 + 0.5 * dt), sin(t0 + 0.5 * dt));
    var sum = 0.0;
    for (var i = 0.0; i < m; i += 1.0) {
        let y = half.y - r + r * cs.y;
        let dy = (q.y - y) / sigma;
        sum += (wlgpu_erf1((q.x - half.x + r * (1.0 - cs.x)) * k) - edge) * exp(-0.5 * dy * dy) * cs.x;
        cs = vec2f(cs.x * rot.x - cs.y * rot.y, cs.y * rot.x + cs.x * rot.y);
    }
    return 0.5 * sum * dt * r / (sigma * 2.5066282746310002);
}

// The coverage of the Gaussian blur (sigma) of the rounded box (box, radii) at pos, in closed
// form where the box is straight: the sharp box's blur is separable, (erf differences in x) x
// (erf differences in y) / 4. Each rounded corner takes away the part of its r x r square
// outside its circle; near a corner (within 4 sigma of its square) that cutout's blur is
// integrated: exact in x (erf across the cutout's row), a midpoint rule in y over the circle's
// angle (t: the row at r sin t from the corner's straight edge is r (1 - cos t) short, dy = r cos t
// dt: smooth, where a rule in y meets the circle's vertical tangent), over the rows within 4
// sigma of pos, 2 r dt / sigma points (1..16). Elsewhere (the straight sides, the far field) a
// pixel costs four erf. Deeper than 4 sigma plus the largest radius inside the box the blurred
// box is solid, and nothing is evaluated.
fn wlgpu_shadow(pos: vec2f, box: vec4f, radii: vec4f, sigma: f32) -> f32 {
    let half = box.zw * 0.5;
    let p = pos - (box.xy + half);
    let inset = 4.0 * sigma + max(max(radii.x, radii.y), max(radii.z, radii.w));
    if (all(abs(p) <= half - vec2f(inset))) {
        return 1.0;
    }
    let k = 0.7071067811865476 / sigma;
    let ex = wlgpu_erf(vec2f(p.x + half.x, p.x - half.x) * k);
    let ey = wlgpu_erf(vec2f(p.y + half.y, p.y - half.y) * k);
    var v = 0.25 * (ex.x - ex.y) * (ey.x - ey.y);
    // radii: top-left, top-right, bottom-right, bottom-left (y down).
    v -= wlgpu_shadow_cutout(vec2f(-p.x, -p.y), half, radii.x, sigma, k);
    v -= wlgpu_shadow_cutout(vec2f(p.x, -p.y), half, radii.y, sigma, k);
    v -= wlgpu_shadow_cutout(p, half, radii.z, sigma, k);
    v -= wlgpu_shadow_cutout(vec2f(-p.x, p.y), half, radii.w, sigma, k);
    return clamp(v, 0.0, 1.0);
}

// A box shadow: box, radii, d0 = colour, extra.y = sigma; nothing inside the hole (the
// integral is skipped there too).
@fragment
fn fs_fx_shadow(in: FxOut) -> @location(0) vec4f {
    let outside_hole = wlgpu_outside_hole(in);
    if (outside_hole <= 0.0) {
        return vec4f(0.0);
    }
    return in.d0 * (wlgpu_shadow(in.pos.xy, in.box, in.radii, in.extra.y) * outside_hole);
}

// A rounded texture over its shadow in one draw (the same pixels as fs_fx_shadow, then
// fs_fx_texture over it): the texture as fs_fx_texture (box, radii, uv over the whole quad),
// the shadow's box in d1, its radii in d2, colour d0, sigma extra.y, its hole in hole.
@fragment
fn fs_fx_shadowed_texture(in: FxOut) -> @location(0) vec4f {
    let texel = wlgpu_texel(in) * (in.params.x * clamp(0.5 - wlgpu_rounded_sd(in.pos.xy, in.box, in.radii), 0.0, 1.0));
    let outside_hole = wlgpu_outside_hole(in);
    if (outside_hole <= 0.0 || texel.a >= 1.0) {
        return texel;
    }
    let shadow = in.d0 * (wlgpu_shadow(in.pos.xy, in.d1, in.d2, in.extra.y) * outside_hole);
    return texel + shadow * (1.0 - texel.a);
}

fn wlgpu_tap(uv: vec2f) -> vec4f {
    return textureSample(wlgpu_tex, wlgpu_smp, uv);
}

// Dual Kawase, down: the centre 4x and four diagonal taps; d0 = (half a source texel in uv, offset).
@fragment
fn fs_blur_down(in: FxOut) -> @location(0) vec4f {
    let h = in.d0.xy * in.d0.z;
    var s = wlgpu_tap(in.uv) * 4.0;
    s += wlgpu_tap(in.uv - h) + wlgpu_tap(in.uv + h);
    s += wlgpu_tap(in.uv + vec2f(h.x, -h.y)) + wlgpu_tap(in.uv - vec2f(h.x, -h.y));
    return s / 8.0;
}

// Dual Kawase, up: four axis taps at 2h and four diagonal taps at h weighted 2.
@fragment
fn fs_blur_up(in: FxOut) -> @location(0) vec4f {
    let h = in.d0.xy * in.d0.z;
    var s = wlgpu_tap(in.uv + vec2f(-2.0 * h.x, 0.0)) + wlgpu_tap(in.uv + vec2f(2.0 * h.x, 0.0));
    s += wlgpu_tap(in.uv + vec2f(0.0, -2.0 * h.y)) + wlgpu_tap(in.uv + vec2f(0.0, 2.0 * h.y));
    s += 2.0 * (wlgpu_tap(in.uv + h) + wlgpu_tap(in.uv - h));
    s += 2.0 * (wlgpu_tap(in.uv + vec2f(h.x, -h.y)) + wlgpu_tap(in.uv - vec2f(h.x, -h.y)));
    return s / 12.0;
}

// A hash of the pixel in [0, 1] (integer PCG steps: the same on every device and the CPU).
fn wlgpu_hash(p: vec2u) -> f32 {
    let v = (p.x * 1973u + p.y * 9277u + 89173u) * 747796405u + 2891336453u;
    let w = ((v >> ((v >> 28u) + 4u)) ^ v) * 277803737u;
    return f32((w >> 22u) ^ w) / 4294967295.0;
}

// The blurred snapshot into the region: d0 = (brightness, contrast, saturation, noise).
@fragment
fn fs_blur_composite(in: FxOut) -> @location(0) vec4f {
    let c = textureSample(wlgpu_tex, wlgpu_smp, in.uv);
    var rgb = c.rgb * in.d0.x;
    rgb = (rgb - 0.5 * c.a) * in.d0.y + 0.5 * c.a;
    let luma = dot(rgb, vec3f(0.2126, 0.7152, 0.0722));
    rgb = mix(vec3f(luma), rgb, in.d0.z);
    rgb += (wlgpu_hash(vec2u(in.pos.xy)) - 0.5) * in.d0.w * c.a;
    return vec4f(clamp(rgb, vec3f(0.0), vec3f(c.a)), c.a) * wlgpu_coverage(in);
}

// fs_blur_composite with no adjustments (brightness, contrast, saturation 1, noise 0): the same
// pixels (what it leaves out is the identity but for float rounding far below 8 bits) without
// the per-pixel colour maths and hash. The clamp to alpha stays: a target may hold rgb > a.
@fragment
fn fs_blur_composite_plain(in: FxOut) -> @location(0) vec4f {
    let c = textureSample(wlgpu_tex, wlgpu_smp, in.uv);
    return vec4f(min(c.rgb, vec3f(c.a)), c.a) * wlgpu_coverage(in);
}
)";

const char* const kUserFragWgsl = R"(
@fragment
fn fs_user(in: FxOut) -> @location(0) vec4f {
    let user = array<vec4f, 8>(in.d0, in.d1, in.d2, in.d3, in.d4, in.d5, in.d6, in.d7);
    let c = effect(wlgpu_texel(in), in.pos.xy, user, in.extra.x);
    return c * (in.params.x * wlgpu_coverage(in));
}
)";

}  // namespace wlgpu::render::effects
