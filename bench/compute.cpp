// bench/compute: the same blended quads drawn by a render pass and by a compute pass.
//
//   bench_compute [frames] [WxH] [quads]
//
// A frame: the target cleared to opaque black, then `quads` (default 6) translucent (alpha 0.5,
// premultiplied) quads covering the whole WxH (default 1920x1080) target, each sampling a
// random 256x256 texture bilinearly: what a compositor's full redraw of overlapping windows
// costs the GPU. Two ways, alternated frame by frame:
//   raster   wlgpu's Frame (its render pipelines, a render pass into a BGRA8 texture);
//   compute  raw Dawn: one compute pass, one dispatch per quad, each invocation reading its
//            pixel of a storage buffer (BGRA8 words, the layout of a memory output's rows),
//            blending the quad's sample over it and writing it back (the first dispatch starts
//            from the clear colour instead of reading).
// Per frame: the GPU time of the pass (timestamp queries at its start and end; absent where
// the adapter has none) and the wall time of submit + wait. Unpaced (back to back, the GPU kept
// busy) and paced (one frame every 16.7 ms, as a compositor's frames come). A GPU whose raster
// units are few (NVIDIA's H100/H200: two graphics-capable TPCs) fills pixels from a fragment
// shader far slower than its compute units write them, which is what this measures.
// Self-check: the two results read back and compared, the largest channel difference printed
// (each blend rounds to 8 bits, where the rasteriser and the shader may differ by one unit: more
// than one unit per quad is an error, exit 1).
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "frames.hpp"
#include "meter.hpp"
#include "wlgpu/bridge.hpp"
#include "wlgpu/format.hpp"
#include "wlgpu/render.hpp"
#include "wlgpu/texture.hpp"

using namespace wlgpu;
using bench::Meter;
using bench::Sample;

namespace {

void die(const char* what, const std::string& msg) {
    std::fprintf(stderr, "bench_compute: %s: %s\n", what, msg.c_str());
    std::exit(1);
}

constexpr const char* kBlend = R"(
struct Params { size: vec2u, clear: u32, alpha: f32 }
@group(0) @binding(0) var<storage, read_write> px: array<u32>;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var tex: texture_2d<f32>;
@group(0) @binding(3) var samp: sampler;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) id: vec3u) {
    if (any(id.xy >= p.size)) { return; }
    let i = id.y * p.size.x + id.x;
    var dst = vec4f(0.0, 0.0, 0.0, 1.0);
    if (p.clear == 0u) { dst = unpack4x8unorm(px[i]).zyxw; }  // bytes B, G, R, A
    let s = textureSampleLevel(tex, samp, (vec2f(id.xy) + 0.5) / vec2f(p.size), 0.0) * p.alpha;
    px[i] = pack4x8unorm((s + dst * (1.0 - s.a)).zyxw);
}
)";

// Timestamps at a pass's start and end, resolved into a MapRead buffer.
struct PassTimer {
    wg::QuerySet queries;
    wg::Buffer resolve, readback;
    explicit PassTimer(WGPUDevice d) {
        WGPUQuerySetDescriptor q{};
        q.type = WGPUQueryType_Timestamp;
        q.count = 2;
        queries = wg::QuerySet::Acquire(wgpuDeviceCreateQuerySet(d, &q));
        WGPUBufferDescriptor bd{};
        bd.size = 16;
        bd.usage = WGPUBufferUsage_QueryResolve | WGPUBufferUsage_CopySrc;
        resolve = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(d, &bd));
        bd.usage = WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst;
        readback = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(d, &bd));
    }
    WGPUPassTimestampWrites writes() const { return {nullptr, queries.get(), 0, 1}; }
    void encode_resolve(WGPUCommandEncoder enc) const {
        wgpuCommandEncoderResolveQuerySet(enc, queries.get(), 0, 2, resolve.get(), 0);
        wgpuCommandEncoderCopyBufferToBuffer(enc, resolve.get(), 0, readback.get(), 0, 16);
    }
};

// Maps buf (MapRead) after the submitted work, copies size bytes out, unmaps.
void read_buffer(Bridge& b, WGPUBuffer buf, void* out, size_t size) {
    WGPUMapAsyncStatus status = WGPUMapAsyncStatus_Error;
    WGPUBufferMapCallbackInfo cb{};
    cb.mode = WGPUCallbackMode_WaitAnyOnly;
    cb.callback = [](WGPUMapAsyncStatus s, WGPUStringView, void* u, void*) { *static_cast<WGPUMapAsyncStatus*>(u) = s; };
    cb.userdata1 = &status;
    if (auto ok = b.wait(wgpuBufferMapAsync(buf, WGPUMapMode_Read, 0, size, cb)); !ok) die("map", ok.error().message);
    if (status != WGPUMapAsyncStatus_Success) die("map", "status " + std::to_string(int(status)));
    std::memcpy(out, wgpuBufferGetConstMappedRange(buf, 0, size), size);
    wgpuBufferUnmap(buf);
}

struct ComputeScene {
    Bridge& b;
    uint32_t w, h;
    int quads;
    wg::ComputePipeline pipeline;
    wg::Buffer pixels, readback;
    std::vector<wg::Buffer> params;
    std::vector<wg::BindGroup> groups;
    wg::Sampler sampler;
    PassTimer timer;

    ComputeScene(Bridge& bridge, uint32_t w_, uint32_t h_, int n, WGPUTextureView tex)
        : b(bridge), w(w_), h(h_), quads(n), timer(bridge.device()) {
        WGPUDevice d = b.device();
        auto src = wg::chained<WGPUShaderSourceWGSL>();
        src.code = wg::sv(kBlend);
        WGPUShaderModuleDescriptor sd{};
        sd.nextInChain = &src.chain;
        auto module = wg::ShaderModule::Acquire(wgpuDeviceCreateShaderModule(d, &sd));
        WGPUBindGroupLayoutEntry e[4]{};
        for (uint32_t i = 0; i < 4; i++) e[i].binding = i, e[i].visibility = WGPUShaderStage_Compute;
        e[0].buffer.type = WGPUBufferBindingType_Storage;
        e[1].buffer.type = WGPUBufferBindingType_Uniform;
        e[2].texture.sampleType = WGPUTextureSampleType_Float;
        e[2].texture.viewDimension = WGPUTextureViewDimension_2D;
        e[3].sampler.type = WGPUSamplerBindingType_Filtering;
        WGPUBindGroupLayoutDescriptor ld{};
        ld.entryCount = 4;
        ld.entries = e;
        auto layout = wg::BindGroupLayout::Acquire(wgpuDeviceCreateBindGroupLayout(d, &ld));
        WGPUBindGroupLayout l = layout.get();
        WGPUPipelineLayoutDescriptor pld{};
        pld.bindGroupLayoutCount = 1;
        pld.bindGroupLayouts = &l;
        auto pl = wg::PipelineLayout::Acquire(wgpuDeviceCreatePipelineLayout(d, &pld));
        WGPUComputePipelineDescriptor cd{};
        cd.layout = pl.get();
        cd.compute.module = module.get();
        cd.compute.entryPoint = wg::sv("main");
        pipeline = wg::ComputePipeline::Acquire(wgpuDeviceCreateComputePipeline(d, &cd));
        WGPUBufferDescriptor bd{};
        bd.size = uint64_t(w) * h * 4;
        bd.usage = WGPUBufferUsage_Storage | WGPUBufferUsage_CopySrc;
        pixels = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(d, &bd));
        bd.usage = WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst;
        readback = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(d, &bd));
        WGPUSamplerDescriptor smd{};
        smd.addressModeU = smd.addressModeV = smd.addressModeW = WGPUAddressMode_ClampToEdge;
        smd.magFilter = smd.minFilter = WGPUFilterMode_Linear;
        smd.lodMaxClamp = 32;
        smd.maxAnisotropy = 1;
        sampler = wg::Sampler::Acquire(wgpuDeviceCreateSampler(d, &smd));
        for (int i = 0; i < quads; i++) {
            struct {
                uint32_t size[2], clear;
                float alpha;
            } u{{w, h}, i == 0 ? 1u : 0u, 0.5f};
            WGPUBufferDescriptor ud{};
            ud.size = sizeof u;
            ud.usage = WGPUBufferUsage_Uniform | WGPUBufferUsage_CopyDst;
            params.push_back(wg::Buffer::Acquire(wgpuDeviceCreateBuffer(d, &ud)));
            wgpuQueueWriteBuffer(b.queue(), params.back().get(), 0, &u, sizeof u);
            WGPUBindGroupEntry be[4]{};
            be[0].binding = 0, be[0].buffer = pixels.get(), be[0].size = bd.size;
            be[1].binding = 1, be[1].buffer = params.back().get(), be[1].size = sizeof u;
            be[2].binding = 2, be[2].textureView = tex;
            be[3].binding = 3, be[3].sampler = sampler.get();
            WGPUBindGroupDescriptor gd{};
            gd.layout = layout.get();
            gd.entryCount = 4;
            gd.entries = be;
            groups.push_back(wg::BindGroup::Acquire(wgpuDeviceCreateBindGroup(d, &gd)));
        }
    }

    // One frame, submitted and waited for; with the timer (where there are timestamps) and/or
    // a copy of the pixels into the MapRead buffer.
    void frame(bool timed, bool copy_out) {
        auto enc = wg::CommandEncoder::Acquire(wgpuDeviceCreateCommandEncoder(b.device(), nullptr));
        WGPUPassTimestampWrites tw = timer.writes();
        WGPUComputePassDescriptor pd{};
        pd.timestampWrites = timed ? &tw : nullptr;
        auto pass = wg::ComputePassEncoder::Acquire(wgpuCommandEncoderBeginComputePass(enc.get(), &pd));
        wgpuComputePassEncoderSetPipeline(pass.get(), pipeline.get());
        for (auto& g : groups) {
            wgpuComputePassEncoderSetBindGroup(pass.get(), 0, g.get(), 0, nullptr);
            wgpuComputePassEncoderDispatchWorkgroups(pass.get(), (w + 15) / 16, (h + 15) / 16, 1);
        }
        wgpuComputePassEncoderEnd(pass.get());
        if (timed) timer.encode_resolve(enc.get());
        if (copy_out) wgpuCommandEncoderCopyBufferToBuffer(enc.get(), pixels.get(), 0, readback.get(), 0, uint64_t(w) * h * 4);
        auto cmd = wg::CommandBuffer::Acquire(wgpuCommandEncoderFinish(enc.get(), nullptr));
        WGPUCommandBuffer c = cmd.get();
        wgpuQueueSubmit(b.queue(), 1, &c);
        if (auto ok = b.wait_idle(); !ok) die("wait", ok.error().message);
    }

    double gpu_ms() {
        uint64_t ts[2];
        read_buffer(b, timer.readback.get(), ts, 16);
        return ts[1] >= ts[0] ? double(ts[1] - ts[0]) / 1e6 : 0;
    }
};

void raster_frame(Renderer& r, Texture& target, Texture& tex, int quads, RenderTimer* timer) {
    auto f = r.begin(target, timer);
    if (!f) die("begin", f.error().message);
    if (auto ok = bench::draw_translucent_quads(*f, tex, target.width(), target.height(), quads); !ok)
        die("draw", ok.error().message);
    if (auto s = f->submit(); !s) die("submit", s.error().message);
    if (auto ok = r.bridge().wait_idle(); !ok) die("wait", ok.error().message);
}

}  // namespace

int main(int argc, char** argv) {
    const int frames = argc > 1 ? std::atoi(argv[1]) : 100;
    uint32_t w = 1920, h = 1080;
    if (argc > 2) std::sscanf(argv[2], "%ux%u", &w, &h);
    const int quads = std::max(1, argc > 3 ? std::atoi(argv[3]) : 6);
    const uint32_t argb = fourcc('A', 'R', '2', '4');
    auto bridge = Bridge::create();
    if (!bridge) die("bridge", bridge.error().message);
    Bridge& b = **bridge;
    auto renderer = Renderer::create(b);
    if (!renderer) die("renderer", renderer.error().message);
    std::vector<uint8_t> texels(256 * 256 * 4);
    std::mt19937 rng(7);
    for (size_t i = 0; i < texels.size(); i += 4) {  // premultiplied: colour <= alpha
        const uint8_t a = uint8_t(rng());
        for (int c = 0; c < 3; c++) texels[i + c] = uint8_t(rng() % (a + 1u));
        texels[i + 3] = a;
    }
    auto tex = Texture::from_pixels(b, argb, 256, 256, 256 * 4, texels.data());
    auto target = Texture::create(b, argb, w, h, TextureUsage::render | TextureUsage::sample);
    if (!tex || !target) die("textures", (!tex ? tex.error() : target.error()).message);
    ComputeScene cs(b, w, h, quads, (*tex)->view());
    auto rtimer = (*renderer)->create_timer();
    const bool timestamps = b.caps().timestamp_query;
    std::printf("bench_compute: %s, %ux%u target, %d translucent full-target quads, %d frames\n", b.summary().c_str(),
                w, h, quads, frames);

    // Self-check first: both ways' pixels.
    raster_frame(**renderer, **target, **tex, quads, nullptr);
    std::vector<uint8_t> raster(size_t(w) * h * 4), compute(raster.size());
    const Box all{0, 0, int32_t(w), int32_t(h)};
    if (auto ok = (*target)->read_back_to_memory(std::span<const Box>(&all, 1), raster.data(), w * 4, argb, false); !ok)
        die("read back", ok.error().message);
    cs.frame(false, true);
    read_buffer(b, cs.readback.get(), compute.data(), compute.size());
    int maxdiff = 0;
    for (size_t i = 0; i < raster.size(); i++) maxdiff = std::max(maxdiff, std::abs(int(raster[i]) - int(compute[i])));
    std::printf("self-check: largest channel difference raster/compute %d%s\n", maxdiff, maxdiff > quads ? " (FAIL)" : "");
    if (maxdiff > quads) return 1;

    for (bool paced : {false, true}) {
        Sample rs, cs_s;
        std::vector<double> rgpu, cgpu;
        timespec next{};
        clock_gettime(CLOCK_MONOTONIC, &next);
        for (int i = 0; i < frames + 3; i++) {
            Sample scratch;
            const bool counted = i >= 3;
            if (paced) bench::sleep_until_next_frame(next);
            {
                Meter m;
                raster_frame(**renderer, **target, **tex, quads, rtimer.get());
                m.add_to(counted ? rs : scratch);
            }
            if (counted && timestamps)
                if (auto ns = rtimer->duration_ns()) rgpu.push_back(double(*ns) / 1e6);
            if (paced) bench::sleep_until_next_frame(next);
            {
                Meter m;
                cs.frame(timestamps, false);
                m.add_to(counted ? cs_s : scratch);
            }
            if (counted && timestamps) cgpu.push_back(cs.gpu_ms());
        }
        auto mean = [](const std::vector<double>& v) {
            double s = 0;
            for (double x : v) s += x;
            return v.empty() ? 0.0 : s / double(v.size());
        };
        std::printf("\n%s:\n\n| per frame | pass GPU ms (mean) | pass GPU ms (median) | submit + wait, wall ms |\n"
                    "|---|---:|---:|---:|\n",
                    paced ? "paced, one frame every 16.7 ms" : "back to back");
        std::printf("| raster (wlgpu render pass) | %.3f | %.3f | %.3f |\n", mean(rgpu), bench::median(rgpu), rs.wall / frames);
        std::printf("| compute (one dispatch per quad) | %.3f | %.3f | %.3f |\n", mean(cgpu), bench::median(cgpu),
                    cs_s.wall / frames);
        if (!cgpu.empty() && mean(cgpu) > 0)
            std::printf("\nraster / compute GPU time: %.2f (means), %.2f (medians)\n", mean(rgpu) / mean(cgpu),
                        bench::median(rgpu) / bench::median(cgpu));
        else if (!timestamps)
            std::printf("\nno timestamp queries on this adapter: wall times only\n");
    }
    return 0;
}
