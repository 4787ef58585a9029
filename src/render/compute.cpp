// Compositing in a compute pass (compute.hpp): the storage buffer, the per-draw records, the
// two compute pipelines (texture, rect) and the encoding of a frame.
#include "render/compute.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "bridge/readback.hpp"
#include "common/signals_blocked.hpp"

namespace wlgpu::render::compute {

namespace {

// One dispatch's parameters, a uniform bound at a dynamic offset (kStride apart).
struct Record {
    float dst[4];        // the draw's box, x0 y0 x1 y1 in target pixels
    float uv0[2], uv_s[2];
    float uv_t[2], alpha, flags;
    float color[4];      // rect: its colour; texture: the texel centres uv is clamped to
    uint32_t region[4];  // x, y, width, height: the pixels this dispatch writes
    uint32_t blend;      // 1: premultiplied over what is there; 0: replace
    uint32_t bgra;       // 1: the pixels' bytes are B G R A (else R G B A)
    uint32_t pitch;      // pixels per row of the storage buffer
    uint32_t unused;
};
static_assert(sizeof(Record) == 96);
constexpr uint64_t kStride = 256;  // the largest minUniformBufferOffsetAlignment WebGPU allows
// A record in its slot of the uniform buffer: a vector of them is what the buffer receives.
struct alignas(kStride) Slot {
    Record rec;
};
static_assert(sizeof(Slot) == kStride);
constexpr uint32_t kGroup = 8;     // workgroup_size(8, 8)

// The record, the pixels and the blend, at bind group `group`.
std::string io_wgsl(int group) {
    std::string s = R"(
struct Record {
    dst: vec4f,
    uv0_s: vec4f,
    uv_t_p: vec4f,  // uv_t.xy, alpha, flags
    color: vec4f,
    region: vec4u,
    mode: vec4u,    // premultiplied blend, BGRA bytes, row pitch in pixels
}
@group(G) @binding(0) var<storage, read_write> px: array<u32>;
@group(G) @binding(1) var<uniform> rec: Record;

// src over the pixel (premultiplied), or src alone; 8 bits a channel, rounded, as a unorm target.
fn wlgpu_store(p: vec2u, src: vec4f) {
    let i = p.y * rec.mode.z + p.x;
    let bgra = rec.mode.y != 0u;
    var c = src;
    if (rec.mode.x != 0u) {
        let d = unpack4x8unorm(px[i]);
        c = src + select(d, d.zyxw, bgra) * (1.0 - src.a);
    }
    px[i] = pack4x8unorm(select(c, c.zyxw, bgra));
}

fn wlgpu_outside(id: vec3u) -> bool {
    return id.x >= rec.region.z || id.y >= rec.region.w;
}
)";
    for (size_t at; (at = s.find("group(G)")) != std::string::npos;)
        s.replace(at, 8, "group(" + std::to_string(group) + ")");
    return s;
}

// fs_texture's sampling at the pixel's centre (shaders.cpp), explicit level 0 as a render
// pass without mip levels samples.
std::string texture_wgsl() {
    return std::string(R"(
@group(0) @binding(0) var tex: texture_2d<f32>;
@group(0) @binding(1) var smp: sampler;
)") + io_wgsl(1) + kTexelFlagsWgsl + R"(
@compute @workgroup_size(8, 8)
fn cs_texture(@builtin(global_invocation_id) id: vec3u) {
    if (wlgpu_outside(id)) { return; }
    let p = rec.region.xy + id.xy;
    let st = (vec2f(p) + 0.5 - rec.dst.xy) / (rec.dst.zw - rec.dst.xy);
    let uv = clamp(rec.uv0_s.xy + rec.uv0_s.zw * st.x + rec.uv_t_p.xy * st.y, rec.color.xy, rec.color.zw);
    let c = wlgpu_apply_texel_flags(textureSampleLevel(tex, smp, uv, 0.0), u32(rec.uv_t_p.w + 0.5));
    wlgpu_store(p, c * rec.uv_t_p.z);
}
)";
}

std::string rect_wgsl() {
    return io_wgsl(0) + R"(
@compute @workgroup_size(8, 8)
fn cs_rect(@builtin(global_invocation_id) id: vec3u) {
    if (wlgpu_outside(id)) { return; }
    wlgpu_store(rec.region.xy + id.xy, rec.color);
}
)";
}

struct State {
    wg::BindGroupLayout io_layout;
    wg::ComputePipeline texture, rect;
    wg::Buffer pixels, records;
    uint64_t pixels_size = 0, records_size = 0;
    wg::BindGroup io;  // pixels and records
    // One frame's records and, per record, the texture's bind group (null for a rect); kept
    // so that steady-state frames allocate nothing.
    std::vector<Slot> slots;
    std::vector<WGPUBindGroup> groups;
};

wg::ComputePipeline make_pipeline(WGPUDevice dev, const std::string& wgsl, const char* entry,
                                  std::span<const WGPUBindGroupLayout> layouts) {
    auto src = wg::chained<WGPUShaderSourceWGSL>();
    src.code = wg::sv(wgsl.c_str());
    WGPUShaderModuleDescriptor sd{};
    sd.nextInChain = &src.chain;
    sd.label = wg::sv(entry);
    auto module = wg::ShaderModule::Acquire(wgpuDeviceCreateShaderModule(dev, &sd));
    WGPUPipelineLayoutDescriptor pd{};
    pd.bindGroupLayoutCount = layouts.size();
    pd.bindGroupLayouts = layouts.data();
    auto layout = wg::PipelineLayout::Acquire(wgpuDeviceCreatePipelineLayout(dev, &pd));
    WGPUComputePipelineDescriptor cd{};
    cd.label = wg::sv(entry);
    cd.layout = layout.get();
    cd.compute.module = module.get();
    cd.compute.entryPoint = wg::sv(entry);
    return wg::ComputePipeline::Acquire(wgpuDeviceCreateComputePipeline(dev, &cd));
}

Result<State*> state(Renderer::Impl& r) {
    if (r.compute) return static_cast<State*>(r.compute.get());
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    auto s = std::make_shared<State>();
    WGPUDevice dev = r.bridge->device();
    auto ok = r.bridge->scoped(
        [&] {
            WGPUBindGroupLayoutEntry e[2]{};
            e[0].binding = 0;
            e[0].visibility = WGPUShaderStage_Compute;
            e[0].buffer.type = WGPUBufferBindingType_Storage;
            e[1].binding = 1;
            e[1].visibility = WGPUShaderStage_Compute;
            e[1].buffer.type = WGPUBufferBindingType_Uniform;
            e[1].buffer.hasDynamicOffset = true;
            e[1].buffer.minBindingSize = sizeof(Record);
            WGPUBindGroupLayoutDescriptor d{};
            d.label = wg::sv("wlgpu compute io");
            d.entryCount = 2;
            d.entries = e;
            s->io_layout = wg::BindGroupLayout::Acquire(wgpuDeviceCreateBindGroupLayout(dev, &d));
            const WGPUBindGroupLayout tex[2] = {r.pipelines.texture_layout.get(), s->io_layout.get()};
            s->texture = make_pipeline(dev, texture_wgsl(), "cs_texture", tex);
            const WGPUBindGroupLayout rect[1] = {s->io_layout.get()};
            s->rect = make_pipeline(dev, rect_wgsl(), "cs_rect", rect);
        },
        "creating the compute compositor's pipelines");
    if (!ok) return std::unexpected(ok.error());
    if (!s->texture || !s->rect) return fail(Errc::gpu_error, "creating the compute compositor's pipelines failed");
    r.stats.pipelines_created += 2;
    r.compute = s;
    return s.get();
}

// Grows buf to hold at least size bytes (doubling); false where Dawn fails.
bool ensure(Renderer::Impl& r, wg::Buffer& buf, uint64_t& have, uint64_t size, WGPUBufferUsage usage, const char* label) {
    if (size <= have) return true;
    uint64_t cap = std::max<uint64_t>(have * 2, size);
    WGPUBufferDescriptor d{};
    d.label = wg::sv(label);
    d.size = cap;
    d.usage = usage;
    wg::Buffer b = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(r.bridge->device(), &d));
    if (!b) return false;
    buf = std::move(b);
    have = cap;
    r.stats.buffers_created++;
    return true;
}

// The storage buffer's rows: as a texture copy lays them out (bytesPerRow a multiple of 256).
uint32_t pitch_bytes(const Texture& t) { return copy_row_bytes(t.width(), 4); }

// The draw's box in target pixels (x0, y0, x1, y1) from its normalised device coordinates
// (set_rect of an integer box), and the pixels of it on the target (rounded back to the integer
// box; a box far off the target, even beyond int32, clamped to just outside it first).
struct PixelRect {
    double x0, y0, x1, y1;
};
PixelRect pixel_rect(const Instance& in, uint32_t w, uint32_t h) {
    return {(in.rect[0] + 1.0) * 0.5 * w, (1.0 - in.rect[1]) * 0.5 * h, (in.rect[2] + 1.0) * 0.5 * w,
            (1.0 - in.rect[3]) * 0.5 * h};
}
Box on_target(const PixelRect& p, uint32_t w, uint32_t h) {
    auto px = [](double v, uint32_t size) { return int32_t(std::clamp(std::round(v), -1.0, double(size) + 1.0)); };
    const int32_t x0 = px(p.x0, w), y0 = px(p.y0, h), x1 = px(p.x1, w), y1 = px(p.y1, h);
    return {x0, y0, x1 - x0, y1 - y0};
}

Record record(const Instance& in, const PixelRect& dst, Box region, Blend blend, bool bgra, uint32_t pitch) {
    Record rec{};
    rec.dst[0] = float(dst.x0), rec.dst[1] = float(dst.y0), rec.dst[2] = float(dst.x1), rec.dst[3] = float(dst.y1);
    std::copy_n(in.uv0, 2, rec.uv0);
    std::copy_n(in.uv_s, 2, rec.uv_s);
    std::copy_n(in.uv_t, 2, rec.uv_t);
    rec.alpha = in.alpha;
    rec.flags = in.flags;
    std::copy_n(in.color, 4, rec.color);
    rec.region[0] = uint32_t(region.x), rec.region[1] = uint32_t(region.y);
    rec.region[2] = uint32_t(region.width), rec.region[3] = uint32_t(region.height);
    rec.blend = blend == Blend::premultiplied ? 1 : 0;
    rec.bgra = bgra ? 1 : 0;
    rec.pitch = pitch;
    return rec;
}

WGPUTexelCopyTextureInfo texture_at(const Texture& t, Box b) {
    WGPUTexelCopyTextureInfo i{};
    i.texture = t.handle();
    i.origin = {uint32_t(b.x), uint32_t(b.y), 0};
    i.aspect = WGPUTextureAspect_All;
    return i;
}

WGPUTexelCopyBufferInfo buffer_at(WGPUBuffer buf, const Texture& t, Box b) {
    WGPUTexelCopyBufferInfo i{};
    i.buffer = buf;
    i.layout.bytesPerRow = pitch_bytes(t);
    i.layout.rowsPerImage = uint32_t(b.height);
    i.layout.offset = uint64_t(b.y) * pitch_bytes(t) + uint64_t(b.x) * 4;
    return i;
}

// Whether f's draws cover at least the renderer's compute_min_pixels a draw on average (the
// clear counts as one draw of the whole target): each dispatch costs the CPU more than a draw
// in the render pass, which batches.
bool large_enough(const Frame::Impl& f) {
    const uint64_t min = f.r->compute_min_pixels;
    if (min == 0) return true;
    const uint32_t w = f.target->width(), h = f.target->height();
    uint64_t draws = f.load_clear ? 1 : 0, pixels = f.load_clear ? uint64_t(w) * h : 0;
    for (const Cmd& c : f.cmds)
        for (uint32_t i = c.first; i < c.first + c.count; i++) {
            const Box b = intersect(on_target(pixel_rect(f.instances[i], w, h), w, h), c.scissor);
            draws++;
            pixels += b.empty() ? 0 : uint64_t(b.width) * uint64_t(b.height);
        }
    return pixels >= min * draws;
}

}  // namespace

bool eligible(const Frame::Impl& f) {
    const Texture& t = *f.target;
    const WGPUTextureFormat fmt = t.format().texture;
    const WGPUTextureUsage need = WGPUTextureUsage_CopySrc | WGPUTextureUsage_CopyDst;
    if (!f.r->compute_composite || (f.cmds.empty() && !f.load_clear)) return false;
    if (fmt != WGPUTextureFormat_BGRA8Unorm && fmt != WGPUTextureFormat_RGBA8Unorm) return false;
    if ((t.usage() & need) != need) return false;
    if (uint64_t(pitch_bytes(t)) * t.height() > f.r->bridge->limits().maxStorageBufferBindingSize) return false;
    for (const Cmd& c : f.cmds)
        if (c.key.kind != Kind::texture && c.key.kind != Kind::rect) return false;
    return large_enough(f);
}

Result<void> encode(Frame::Impl& f, WGPUCommandEncoder enc) {
    Renderer::Impl& r = *f.r;
    auto st = state(r);
    if (!st) return std::unexpected(st.error());
    State& s = **st;
    const Texture& t = *f.target;
    const uint32_t w = t.width(), h = t.height(), pitch = pitch_bytes(t) / 4;
    const bool bgra = t.format().texture == WGPUTextureFormat_BGRA8Unorm;
    const Box whole{0, 0, int32_t(w), int32_t(h)};

    // The records: the clear first, then every instance of every command within its scissor.
    std::vector<Slot>& recs = s.slots;
    std::vector<WGPUBindGroup>& groups = s.groups;
    recs.clear();
    groups.clear();
    Box touched{};
    if (f.load_clear) {
        Instance in{};
        const Color c = *f.load_clear;
        in.color[0] = c.r, in.color[1] = c.g, in.color[2] = c.b, in.color[3] = c.a;
        recs.push_back({record(in, {0, 0, double(w), double(h)}, whole, Blend::none, bgra, pitch)});
        groups.push_back(nullptr);
        touched = whole;
    }
    for (const Cmd& c : f.cmds)
        for (uint32_t i = c.first; i < c.first + c.count; i++) {
            const Instance& in = f.instances[i];
            const PixelRect dst = pixel_rect(in, w, h);
            const Box region = intersect(on_target(dst, w, h), c.scissor);
            if (region.empty()) continue;
            recs.push_back({record(in, dst, region, c.key.blend, bgra, pitch)});
            groups.push_back(c.key.kind == Kind::texture ? c.bind_group : nullptr);
            touched = unite(touched, region);
        }

    const uint64_t pixels = uint64_t(pitch) * 4 * h, records = std::max<uint64_t>(recs.size(), 1) * kStride;
    const bool grew = pixels > s.pixels_size || records > s.records_size;
    if (!ensure(r, s.pixels, s.pixels_size, pixels,
                WGPUBufferUsage_Storage | WGPUBufferUsage_CopySrc | WGPUBufferUsage_CopyDst, "wlgpu compute pixels") ||
        !ensure(r, s.records, s.records_size, records, WGPUBufferUsage_Uniform | WGPUBufferUsage_CopyDst,
                "wlgpu compute records"))
        return fail(Errc::gpu_error, "creating the compute compositor's buffers ({} and {} bytes) failed", pixels, records);
    if (grew || !s.io) {
        WGPUBindGroupEntry e[2]{};
        e[0].binding = 0, e[0].buffer = s.pixels.get(), e[0].size = s.pixels_size;
        e[1].binding = 1, e[1].buffer = s.records.get(), e[1].size = sizeof(Record);
        WGPUBindGroupDescriptor d{};
        d.layout = s.io_layout.get();
        d.entryCount = 2;
        d.entries = e;
        AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
        s.io = wg::BindGroup::Acquire(wgpuDeviceCreateBindGroup(r.bridge->device(), &d));
        if (!s.io) return fail(Errc::gpu_error, "creating the compute compositor's bind group failed");
        r.stats.bind_groups_created++;
    }
    if (!recs.empty())
        wgpuQueueWriteBuffer(r.bridge->queue(), s.records.get(), 0, recs.data(), recs.size() * sizeof(Slot));

    const WGPUExtent3D extent{uint32_t(touched.width), uint32_t(touched.height), 1};
    if (!touched.empty() && !f.load_clear) {  // what the draws blend over (a clear replaces all)
        const auto src = texture_at(t, touched);
        const auto dst = buffer_at(s.pixels.get(), t, touched);
        wgpuCommandEncoderCopyTextureToBuffer(enc, &src, &dst, &extent);
    }
    WGPUComputePassDescriptor pd{};
    pd.label = wg::sv("wlgpu frame (compute)");
    WGPUPassTimestampWrites tw{};
    if (f.timer) {
        tw = f.timer->pass_writes();
        pd.timestampWrites = &tw;
    }
    auto pass = wg::ComputePassEncoder::Acquire(wgpuCommandEncoderBeginComputePass(enc, &pd));
    WGPUComputePipeline current = nullptr;
    for (size_t i = 0; i < recs.size(); i++) {
        WGPUComputePipeline want = groups[i] ? s.texture.get() : s.rect.get();
        if (want != current) wgpuComputePassEncoderSetPipeline(pass.get(), current = want);
        const uint32_t offset = uint32_t(i * kStride);
        if (groups[i]) wgpuComputePassEncoderSetBindGroup(pass.get(), 0, groups[i], 0, nullptr);
        wgpuComputePassEncoderSetBindGroup(pass.get(), groups[i] ? 1 : 0, s.io.get(), 1, &offset);
        const Record& rec = recs[i].rec;
        wgpuComputePassEncoderDispatchWorkgroups(pass.get(), (rec.region[2] + kGroup - 1) / kGroup,
                                                 (rec.region[3] + kGroup - 1) / kGroup, 1);
    }
    wgpuComputePassEncoderEnd(pass.get());
    if (!touched.empty()) {
        const auto src = buffer_at(s.pixels.get(), t, touched);
        const auto dst = texture_at(t, touched);
        wgpuCommandEncoderCopyBufferToTexture(enc, &src, &dst, &extent);
    }
    r.stats.compute_passes++;
    r.stats.compute_dispatches += recs.size();
    return {};
}

}  // namespace wlgpu::render::compute
