// Compositing in a compute pass (compute.hpp): the storage buffer, the batches of records, the
// two compute pipelines (texture, rect) and the encoding of a frame.
#include "render/compute.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "bridge/readback.hpp"
#include "common/signals_blocked.hpp"

namespace wlgpu::render::compute {

namespace {

// One draw instance within its scissor box.
struct Record {
    float dst[4];        // the draw's box, x0 y0 x1 y1 in target pixels
    float uv0[2], uv_s[2];
    float uv_t[2], alpha, flags;
    float color[4];      // rect: its colour; texture: the texel centres uv is clamped to
    uint32_t region[4];  // x, y, width, height: the pixels this draw writes
    uint32_t blend;      // 1: premultiplied over what is there; 0: replace
    uint32_t unused[3];
};
static_assert(sizeof(Record) == 96);

// One dispatch: consecutive records of one pipeline and texture, and a uniform of this header
// followed by the records, bound at a dynamic offset (a multiple of kAlign). Each invocation is
// one pixel of the records' bounding box and applies, in order, every record that covers it,
// so overlapping draws keep their order.
struct Batch {
    uint32_t region[4];  // the bounding box of the records' regions
    uint32_t count;
    uint32_t bgra;       // 1: the pixels' bytes are B G R A (else R G B A)
    uint32_t pitch;      // pixels per row of the storage buffer
    uint32_t unused;
};
static_assert(sizeof(Batch) == 32);
constexpr uint64_t kAlign = 256;  // the largest minUniformBufferOffsetAlignment WebGPU allows
constexpr uint32_t kGroup = 8;    // workgroup_size(8, 8)
// A batch's limits: each of its pixels loops over all its records, so at most this many, and
// a bounding box at most twice the pixels its records write, or at most kSmallBatchBox pixels
// (draws far apart split; small ones near each other do not).
constexpr uint32_t kMaxBatch = 64;
constexpr uint64_t kMaxBatchWaste = 2, kSmallBatchBox = 256 * 256;
constexpr uint64_t kBinding = sizeof(Batch) + kMaxBatch * sizeof(Record);  // a batch's uniform

// The records, the batch and the pixels at bind group `group`, and the loop over the batch's
// records that wlgpu_source (of the record and the pixel: texture_wgsl, rect_wgsl) feeds.
std::string io_wgsl(int group) {
    std::string s = R"(
struct Record {
    dst: vec4f,
    uv0_s: vec4f,
    uv_t_p: vec4f,  // uv_t.xy, alpha, flags
    color: vec4f,
    region: vec4u,
    mode: vec4u,    // premultiplied blend
}
struct Batch {
    region: vec4u,
    info: vec4u,    // count, BGRA bytes, row pitch in pixels
    recs: array<Record, MAX>,
}
@group(G) @binding(0) var<storage, read_write> px: array<u32>;
@group(G) @binding(1) var<uniform> batch: Batch;

// Every record of the batch over pixel id in order: src over the pixel (premultiplied) or src
// alone, rounded to 8 bits a channel after each as a unorm target is.
fn wlgpu_composite(id: vec3u) {
    if (id.x >= batch.region.z || id.y >= batch.region.w) { return; }
    let p = batch.region.xy + id.xy;
    let i = p.y * batch.info.z + p.x;
    let bgra = batch.info.y != 0u;
    var c = vec4f(0.0);
    var have = false;
    var wrote = false;
    for (var k = 0u; k < batch.info.x; k++) {
        let reg = batch.recs[k].region;
        if (any(p < reg.xy) || any(p >= reg.xy + reg.zw)) { continue; }
        let src = wlgpu_source(k, p);
        if (batch.recs[k].mode.x != 0u) {
            if (!have) {
                let d = unpack4x8unorm(px[i]);
                c = select(d, d.zyxw, bgra);
                have = true;
            }
            c = src + c * (1.0 - src.a);
        } else {
            c = src;
            have = true;
        }
        c = unpack4x8unorm(pack4x8unorm(c));
        wrote = true;
    }
    if (wrote) { px[i] = pack4x8unorm(select(c, c.zyxw, bgra)); }
}
)";
    for (size_t at; (at = s.find("group(G)")) != std::string::npos;)
        s.replace(at, 8, "group(" + std::to_string(group) + ")");
    s.replace(s.find("MAX"), 3, std::to_string(kMaxBatch));
    return s;
}

// fs_texture's sampling at the pixel's centre (shaders.cpp), explicit level 0 as a render
// pass without mip levels samples.
std::string texture_wgsl() {
    return std::string(R"(
@group(0) @binding(0) var tex: texture_2d<f32>;
@group(0) @binding(1) var smp: sampler;
)") + io_wgsl(1) + kTexelFlagsWgsl + R"(
fn wlgpu_source(k: u32, p: vec2u) -> vec4f {
    let r = batch.recs[k];
    let st = (vec2f(p) + 0.5 - r.dst.xy) / (r.dst.zw - r.dst.xy);
    let uv = clamp(r.uv0_s.xy + r.uv0_s.zw * st.x + r.uv_t_p.xy * st.y, r.color.xy, r.color.zw);
    return wlgpu_apply_texel_flags(textureSampleLevel(tex, smp, uv, 0.0), u32(r.uv_t_p.w + 0.5)) * r.uv_t_p.z;
}
@compute @workgroup_size(8, 8)
fn cs_texture(@builtin(global_invocation_id) id: vec3u) { wlgpu_composite(id); }
)";
}

std::string rect_wgsl() {
    return io_wgsl(0) + R"(
fn wlgpu_source(k: u32, p: vec2u) -> vec4f { return batch.recs[k].color; }
@compute @workgroup_size(8, 8)
fn cs_rect(@builtin(global_invocation_id) id: vec3u) { wlgpu_composite(id); }
)";
}

// A planned batch: its bounding box and the pixels its records write, where they start in
// State::recs and how many, its texture's bind group (null for rects) and its uniform's offset.
struct Planned {
    Box box;
    uint64_t pixels;
    uint32_t first, count;
    WGPUBindGroup group;
    uint32_t offset = 0;
};

struct State {
    wg::BindGroupLayout io_layout;
    wg::ComputePipeline texture, rect;  // made on the first encode
    wg::Buffer pixels, params;
    uint64_t pixels_size = 0, params_size = 0;
    wg::BindGroup io;  // pixels and params
    // The planned frame (plan(), encode()): its records and batches, the pixels they write and
    // the box they touch, and the bytes of the batches' uniforms; kept so that steady-state
    // frames allocate nothing.
    std::vector<Record> recs;
    std::vector<Planned> batches;
    std::vector<std::byte> upload;
    uint64_t written = 0;  // pixels the records write
    Box touched{};
};

WGPUBindGroupLayoutEntry layout_entry(uint32_t binding, WGPUBufferBindingType type, bool dynamic, uint64_t min) {
    WGPUBindGroupLayoutEntry e{};
    e.binding = binding;
    e.visibility = WGPUShaderStage_Compute;
    e.buffer.type = type;
    e.buffer.hasDynamicOffset = dynamic;
    e.buffer.minBindingSize = min;
    return e;
}

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

// The renderer's state, made on first use; its pipelines too where `pipelines`.
Result<State*> state(Renderer::Impl& r, bool pipelines) {
    if (!r.compute) r.compute = std::make_shared<State>();
    State& s = *static_cast<State*>(r.compute.get());
    if (!pipelines || s.texture) return &s;
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    WGPUDevice dev = r.bridge->device();
    auto ok = r.bridge->scoped(
        [&] {
            const WGPUBindGroupLayoutEntry e[2] = {layout_entry(0, WGPUBufferBindingType_Storage, false, 0),
                                                   layout_entry(1, WGPUBufferBindingType_Uniform, true, kBinding)};
            WGPUBindGroupLayoutDescriptor d{};
            d.label = wg::sv("wlgpu compute io");
            d.entryCount = 2;
            d.entries = e;
            s.io_layout = wg::BindGroupLayout::Acquire(wgpuDeviceCreateBindGroupLayout(dev, &d));
            const WGPUBindGroupLayout tex[2] = {r.pipelines.texture_layout.get(), s.io_layout.get()};
            s.texture = make_pipeline(dev, texture_wgsl(), "cs_texture", tex);
            const WGPUBindGroupLayout rect[1] = {s.io_layout.get()};
            s.rect = make_pipeline(dev, rect_wgsl(), "cs_rect", rect);
        },
        "creating the compute compositor's pipelines");
    if (!ok) return std::unexpected(ok.error());
    if (!s.texture || !s.rect) {
        s.texture = {}, s.rect = {};
        return fail(Errc::gpu_error, "creating the compute compositor's pipelines failed");
    }
    r.stats.pipelines_created += 2;
    return &s;
}

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

Record record(const Instance& in, const PixelRect& dst, Box region, Blend blend) {
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
    return rec;
}

uint64_t area(Box b) { return b.empty() ? 0 : uint64_t(b.width) * uint64_t(b.height); }

// Adds a record (of texture bind group `group`, null for a rect) to the plan: to the last
// batch where it has the same group and stays within the batch's limits, else to a new one.
void add(State& s, const Record& rec, WGPUBindGroup group, Box region) {
    s.recs.push_back(rec);
    s.written += area(region);
    s.touched = unite(s.touched, region);
    if (!s.batches.empty() && s.batches.back().group == group) {
        Planned& b = s.batches.back();
        const Box both = unite(b.box, region);
        const uint64_t pixels = b.pixels + area(region);
        if (b.count < kMaxBatch && (area(both) <= kSmallBatchBox || area(both) <= kMaxBatchWaste * pixels)) {
            b.box = both, b.pixels = pixels, b.count++;
            return;
        }
    }
    s.batches.push_back({region, area(region), uint32_t(s.recs.size() - 1), 1, group});
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

// The batches' uniforms, each its header and its records at a multiple of kAlign, into
// s.upload (the storage buffer's layout, as a texture copy lays it out, in every header).
void serialise(State& s, const Texture& t) {
    const uint32_t pitch = pitch_bytes(t) / 4, bgra = t.format().texture == WGPUTextureFormat_BGRA8Unorm;
    uint64_t size = 0;
    for (Planned& b : s.batches) {
        b.offset = uint32_t(size);
        size += (sizeof(Batch) + b.count * sizeof(Record) + kAlign - 1) / kAlign * kAlign;
    }
    s.upload.resize(size);
    for (const Planned& b : s.batches) {
        const Batch head{{uint32_t(b.box.x), uint32_t(b.box.y), uint32_t(b.box.width), uint32_t(b.box.height)},
                         b.count, bgra, pitch, 0};
        std::byte* at = s.upload.data() + b.offset;
        std::memcpy(at, &head, sizeof(Batch));
        std::memcpy(at + sizeof(Batch), s.recs.data() + b.first, b.count * sizeof(Record));
    }
}

}  // namespace

bool plan(Frame::Impl& f) {
    Renderer::Impl& r = *f.r;
    const Texture& t = *f.target;
    const WGPUTextureFormat fmt = t.format().texture;
    const WGPUTextureUsage need = WGPUTextureUsage_CopySrc | WGPUTextureUsage_CopyDst;
    if (!r.compute_composite || (f.cmds.empty() && !f.load_clear)) return false;
    if (fmt != WGPUTextureFormat_BGRA8Unorm && fmt != WGPUTextureFormat_RGBA8Unorm) return false;
    if ((t.usage() & need) != need) return false;
    if (uint64_t(pitch_bytes(t)) * t.height() > r.bridge->limits().maxStorageBufferBindingSize) return false;
    for (const Cmd& c : f.cmds)
        if (c.key.kind != Kind::texture && c.key.kind != Kind::rect) return false;

    // The records: the clear first, then every instance of every command within its scissor.
    State& s = **state(r, false);
    s.recs.clear();
    s.batches.clear();
    s.written = 0;
    s.touched = {};
    const uint32_t w = t.width(), h = t.height();
    const Box whole{0, 0, int32_t(w), int32_t(h)};
    if (f.load_clear) {
        Instance in{};
        const Color c = *f.load_clear;
        in.color[0] = c.r, in.color[1] = c.g, in.color[2] = c.b, in.color[3] = c.a;
        add(s, record(in, {0, 0, double(w), double(h)}, whole, Blend::none), nullptr, whole);
    }
    for (const Cmd& c : f.cmds)
        for (uint32_t i = c.first; i < c.first + c.count; i++) {
            const Instance& in = f.instances[i];
            const PixelRect dst = pixel_rect(in, w, h);
            const Box region = intersect(on_target(dst, w, h), c.scissor);
            if (region.empty()) continue;
            add(s, record(in, dst, region, c.key.blend), c.key.kind == Kind::texture ? c.bind_group : nullptr, region);
        }
    // Each dispatch costs the CPU more than a draw in the render pass (which batches all draws
    // of a texture into one call), and the pass with its copies more than a render pass: with
    // compute_min, only where the GPU saves more (composite_choice.hpp).
    return s.written >= r.compute_min.per_frame &&
           s.written >= r.compute_min.per_dispatch * std::max<uint64_t>(s.batches.size(), 1);
}

Result<void> encode(Frame::Impl& f, WGPUCommandEncoder enc) {
    Renderer::Impl& r = *f.r;
    auto st = state(r, true);
    if (!st) return std::unexpected(st.error());
    State& s = **st;
    const Texture& t = *f.target;
    const Box touched = s.touched;

    serialise(s, t);
    const uint64_t pixels = uint64_t(pitch_bytes(t)) * t.height(), params = s.upload.size() + kBinding;
    const bool grew = pixels > s.pixels_size || params > s.params_size;
    if (!ensure(r, s.pixels, s.pixels_size, pixels,
                WGPUBufferUsage_Storage | WGPUBufferUsage_CopySrc | WGPUBufferUsage_CopyDst, "wlgpu compute pixels") ||
        !ensure(r, s.params, s.params_size, params, WGPUBufferUsage_Uniform | WGPUBufferUsage_CopyDst,
                "wlgpu compute batches"))
        return fail(Errc::gpu_error, "creating the compute compositor's buffers ({} and {} bytes) failed", pixels, params);
    if (grew || !s.io) {
        WGPUBindGroupEntry e[2]{};
        e[0].binding = 0, e[0].buffer = s.pixels.get(), e[0].size = s.pixels_size;
        e[1].binding = 1, e[1].buffer = s.params.get(), e[1].size = kBinding;
        WGPUBindGroupDescriptor d{};
        d.layout = s.io_layout.get();
        d.entryCount = 2;
        d.entries = e;
        AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
        s.io = wg::BindGroup::Acquire(wgpuDeviceCreateBindGroup(r.bridge->device(), &d));
        if (!s.io) return fail(Errc::gpu_error, "creating the compute compositor's bind group failed");
        r.stats.bind_groups_created++;
    }
    if (!s.upload.empty()) wgpuQueueWriteBuffer(r.bridge->queue(), s.params.get(), 0, s.upload.data(), s.upload.size());

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
    WGPUComputePipeline pipeline = nullptr;
    WGPUBindGroup texture = nullptr;
    for (const Planned& b : s.batches) {
        if (WGPUComputePipeline want = b.group ? s.texture.get() : s.rect.get(); want != pipeline) {
            wgpuComputePassEncoderSetPipeline(pass.get(), pipeline = want);
            texture = nullptr;  // the layouts differ: bind anew
        }
        if (b.group && b.group != texture) wgpuComputePassEncoderSetBindGroup(pass.get(), 0, texture = b.group, 0, nullptr);
        wgpuComputePassEncoderSetBindGroup(pass.get(), b.group ? 1 : 0, s.io.get(), 1, &b.offset);
        wgpuComputePassEncoderDispatchWorkgroups(pass.get(), (uint32_t(b.box.width) + kGroup - 1) / kGroup,
                                                 (uint32_t(b.box.height) + kGroup - 1) / kGroup, 1);
    }
    wgpuComputePassEncoderEnd(pass.get());
    if (!touched.empty()) {
        const auto src = buffer_at(s.pixels.get(), t, touched);
        const auto dst = texture_at(t, touched);
        wgpuCommandEncoderCopyBufferToTexture(enc, &src, &dst, &extent);
    }
    r.stats.compute_passes++;
    r.stats.compute_dispatches += s.batches.size();
    return {};
}

}  // namespace wlgpu::render::compute
