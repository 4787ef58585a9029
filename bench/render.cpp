// bench/render: composites N surfaces of mixed sizes into a 1920x1080 target with
// wlgpu's Renderer, and the same frames with raw Dawn calls (one render pass, one
// draw per surface, a bind group created per draw, no batching or caching) as the
// peer. Prints CPU us to record+submit, wall ms per frame (until the queue is
// idle), GPU ms from timestamp queries (wlgpu only), and peer/wlgpu ratios.
//
//   bench_render [frames]        default 20 measured frames (+3 warm-up) per row
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "wlgpu/bridge.hpp"
#include "wlgpu/render.hpp"
#include "wlgpu/texture.hpp"

using namespace wlgpu;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint32_t kARGB8888 = 'A' | 'R' << 8 | '2' << 16 | '4' << 24;
constexpr int kW = 1920, kH = 1080;

struct Surface {
    std::shared_ptr<Texture> tex;
    Box dst;
};

std::vector<Surface> make_surfaces(Bridge& b, int n) {
    static const int sizes[][2] = {{32, 32}, {128, 96}, {300, 200}, {640, 360}};
    std::mt19937 rng(n);
    std::uniform_int_distribution<int> byte(0, 255);
    std::vector<Surface> out;
    for (int i = 0; i < n; i++) {
        int w = sizes[i % 4][0], h = sizes[i % 4][1];
        std::vector<uint8_t> px(size_t(w) * h * 4);
        for (auto& p : px) p = uint8_t(byte(rng));
        auto t = Texture::from_pixels(b, kARGB8888, w, h, w * 4, px.data());
        if (!t) {
            std::fprintf(stderr, "%s\n", t.error().message.c_str());
            std::exit(1);
        }
        Box dst{int((i * 97) % (kW - w)), int((i * 61) % (kH - h)), w, h};
        out.push_back({*t, dst});
    }
    return out;
}

double us_since(Clock::time_point t) { return std::chrono::duration<double, std::micro>(Clock::now() - t).count(); }

// The peer: what a straightforward Dawn renderer does.
struct Raw {
    Bridge& b;
    wg::ShaderModule module;
    wg::BindGroupLayout layout;
    wg::PipelineLayout pipeline_layout;
    wg::RenderPipeline pipeline;
    wg::Sampler sampler;

    explicit Raw(Bridge& br) : b(br) {
        static const char* wgsl = R"(
struct U { rect: vec4f, uv: vec4f }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var tex: texture_2d<f32>;
@group(0) @binding(2) var smp: sampler;
struct V { @builtin(position) pos: vec4f, @location(0) uv: vec2f }
@vertex fn vs(@builtin(vertex_index) i: u32) -> V {
    let s = f32(i & 1u); let t = f32(i >> 1u);
    var o: V;
    o.pos = vec4f(mix(u.rect.x, u.rect.z, s), mix(u.rect.y, u.rect.w, t), 0.0, 1.0);
    o.uv = vec2f(mix(u.uv.x, u.uv.z, s), mix(u.uv.y, u.uv.w, t));
    return o;
}
@fragment fn fs(v: V) -> @location(0) vec4f { return textureSample(tex, smp, v.uv); }
)";
        WGPUShaderSourceWGSL src{};
        src.chain.sType = WGPUSType_ShaderSourceWGSL;
        src.code = wg::sv(wgsl);
        WGPUShaderModuleDescriptor sd{};
        sd.nextInChain = &src.chain;
        module = wg::ShaderModule(wgpuDeviceCreateShaderModule(b.device(), &sd));
        WGPUBindGroupLayoutEntry e[3]{};
        e[0].binding = 0;
        e[0].visibility = WGPUShaderStage_Vertex;
        e[0].buffer.type = WGPUBufferBindingType_Uniform;
        e[0].buffer.minBindingSize = 32;
        e[1].binding = 1;
        e[1].visibility = WGPUShaderStage_Fragment;
        e[1].texture.sampleType = WGPUTextureSampleType_Float;
        e[1].texture.viewDimension = WGPUTextureViewDimension_2D;
        e[2].binding = 2;
        e[2].visibility = WGPUShaderStage_Fragment;
        e[2].sampler.type = WGPUSamplerBindingType_Filtering;
        WGPUBindGroupLayoutDescriptor ld{};
        ld.entryCount = 3;
        ld.entries = e;
        layout = wg::BindGroupLayout(wgpuDeviceCreateBindGroupLayout(b.device(), &ld));
        WGPUBindGroupLayout l = layout.get();
        WGPUPipelineLayoutDescriptor pld{};
        pld.bindGroupLayoutCount = 1;
        pld.bindGroupLayouts = &l;
        pipeline_layout = wg::PipelineLayout(wgpuDeviceCreatePipelineLayout(b.device(), &pld));
        WGPUBlendState blend{};
        blend.color = {WGPUBlendOperation_Add, WGPUBlendFactor_One, WGPUBlendFactor_OneMinusSrcAlpha};
        blend.alpha = blend.color;
        WGPUColorTargetState target{};
        target.format = WGPUTextureFormat_BGRA8Unorm;
        target.blend = &blend;
        target.writeMask = WGPUColorWriteMask_All;
        WGPUFragmentState fs{};
        fs.module = module.get();
        fs.entryPoint = wg::sv("fs");
        fs.targetCount = 1;
        fs.targets = &target;
        WGPURenderPipelineDescriptor pd{};
        pd.layout = pipeline_layout.get();
        pd.vertex.module = module.get();
        pd.vertex.entryPoint = wg::sv("vs");
        pd.primitive.topology = WGPUPrimitiveTopology_TriangleStrip;
        pd.multisample.count = 1;
        pd.multisample.mask = ~0u;
        pd.fragment = &fs;
        pipeline = wg::RenderPipeline(wgpuDeviceCreateRenderPipeline(b.device(), &pd));
        WGPUSamplerDescriptor smd{};
        smd.addressModeU = smd.addressModeV = smd.addressModeW = WGPUAddressMode_ClampToEdge;
        smd.magFilter = smd.minFilter = WGPUFilterMode_Linear;
        smd.lodMaxClamp = 32;
        smd.maxAnisotropy = 1;
        sampler = wg::Sampler(wgpuDeviceCreateSampler(b.device(), &smd));
    }

    void frame(Texture& target, const std::vector<Surface>& surfaces) {
        const size_t stride = 256;  // minUniformBufferOffsetAlignment
        WGPUBufferDescriptor bd{};
        bd.size = std::max<size_t>(stride * surfaces.size(), 256);
        bd.usage = WGPUBufferUsage_Uniform | WGPUBufferUsage_CopyDst;
        wg::Buffer ubo(wgpuDeviceCreateBuffer(b.device(), &bd));
        std::vector<float> data(bd.size / 4);
        for (size_t i = 0; i < surfaces.size(); i++) {
            const Box& d = surfaces[i].dst;
            float* u = data.data() + i * stride / 4;
            u[0] = 2.0f * d.x / kW - 1, u[1] = 1 - 2.0f * d.y / kH;
            u[2] = 2.0f * (d.x + d.width) / kW - 1, u[3] = 1 - 2.0f * (d.y + d.height) / kH;
            u[4] = 0, u[5] = 0, u[6] = 1, u[7] = 1;
        }
        wgpuQueueWriteBuffer(b.queue(), ubo.get(), 0, data.data(), bd.size);
        wg::CommandEncoder enc(wgpuDeviceCreateCommandEncoder(b.device(), nullptr));
        WGPURenderPassColorAttachment color{};
        color.view = target.view();
        color.depthSlice = WGPU_DEPTH_SLICE_UNDEFINED;
        color.loadOp = WGPULoadOp_Clear;
        color.storeOp = WGPUStoreOp_Store;
        color.clearValue = {0, 0, 0, 1};
        WGPURenderPassDescriptor rp{};
        rp.colorAttachmentCount = 1;
        rp.colorAttachments = &color;
        wg::RenderPassEncoder pass(wgpuCommandEncoderBeginRenderPass(enc.get(), &rp));
        for (size_t i = 0; i < surfaces.size(); i++) {
            WGPUBindGroupEntry e[3]{};
            e[0].binding = 0;
            e[0].buffer = ubo.get();
            e[0].offset = i * stride;
            e[0].size = 32;
            e[1].binding = 1;
            e[1].textureView = surfaces[i].tex->view();
            e[2].binding = 2;
            e[2].sampler = sampler.get();
            WGPUBindGroupDescriptor gd{};
            gd.layout = layout.get();
            gd.entryCount = 3;
            gd.entries = e;
            wg::BindGroup g(wgpuDeviceCreateBindGroup(b.device(), &gd));
            wgpuRenderPassEncoderSetPipeline(pass.get(), pipeline.get());
            wgpuRenderPassEncoderSetBindGroup(pass.get(), 0, g.get(), 0, nullptr);
            wgpuRenderPassEncoderDraw(pass.get(), 4, 1, 0, 0);
        }
        wgpuRenderPassEncoderEnd(pass.get());
        wg::CommandBuffer cmd(wgpuCommandEncoderFinish(enc.get(), nullptr));
        WGPUCommandBuffer c = cmd.get();
        wgpuQueueSubmit(b.queue(), 1, &c);
    }
};

struct Row {
    double cpu_us = 0, wall_ms = 0, gpu_ms = -1;
};

template <typename F>
Row measure(Bridge& b, int frames, F&& record, RenderTimer* timer) {
    Row r;
    double gpu = 0;
    int gpu_n = 0;
    for (int i = 0; i < frames + 3; i++) {
        auto t0 = Clock::now();
        record();
        double cpu = us_since(t0);
        (void)b.wait_idle();
        double wall = us_since(t0) / 1000.0;
        if (i < 3) continue;  // warm-up
        r.cpu_us += cpu / frames;
        r.wall_ms += wall / frames;
        if (timer)
            if (auto ns = timer->duration_ns()) gpu += double(*ns) / 1e6, gpu_n++;
    }
    if (gpu_n) r.gpu_ms = gpu / gpu_n;
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    int frames = argc > 1 ? std::atoi(argv[1]) : 20;
    auto bridge = Bridge::create();
    if (!bridge) {
        std::fprintf(stderr, "bench_render: %s\n", bridge.error().message.c_str());
        return 1;
    }
    Bridge& b = **bridge;
    auto renderer = Renderer::create(b);
    if (!renderer) {
        std::fprintf(stderr, "bench_render: %s\n", renderer.error().message.c_str());
        return 1;
    }
    auto target = Texture::create(b, kARGB8888, kW, kH, TextureUsage::render);
    if (!target) {
        std::fprintf(stderr, "bench_render: %s\n", target.error().message.c_str());
        return 1;
    }
    auto timer = (*renderer)->create_timer();
    Raw raw(b);
    std::printf("# %s\n# %dx%d target, %d frames per row (+3 warm-up), surfaces 32x32..640x360\n",
                b.summary().c_str(), kW, kH, frames);
    std::printf("| N | wlgpu CPU us | wlgpu wall ms | wlgpu GPU ms | raw CPU us | raw wall ms | CPU raw/wlgpu | wall raw/wlgpu |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int n : {1, 16, 64, 256}) {
        auto surfaces = make_surfaces(b, n);
        auto wlgpu_frame = [&](RenderTimer* t) {
            auto f = (*renderer)->begin(**target, t);
            if (!f) std::exit(2);
            f->clear({0, 0, 0, 1});
            for (const auto& s : surfaces) {
                TextureDraw d;
                d.texture = s.tex.get();
                d.dst = s.dst;
                (void)f->draw_texture(d);
            }
            if (!f->submit()) std::exit(3);
        };
        // CPU and wall time without the timer (the raw peer has none); GPU time from a
        // second pass with the timestamp queries on.
        Row w = measure(b, frames, [&] { wlgpu_frame(nullptr); }, nullptr);
        w.gpu_ms = measure(b, frames, [&] { wlgpu_frame(timer.get()); }, timer.get()).gpu_ms;
        Row r = measure(b, frames, [&] { raw.frame(**target, surfaces); }, nullptr);
        char gpu[32] = "n/a";
        if (w.gpu_ms >= 0) std::snprintf(gpu, sizeof gpu, "%.2f", w.gpu_ms);
        std::printf("| %d | %.0f | %.2f | %s | %.0f | %.2f | %.2f | %.2f |\n", n, w.cpu_us, w.wall_ms, gpu, r.cpu_us,
                    r.wall_ms, r.cpu_us / w.cpu_us, r.wall_ms / w.wall_ms);
        std::fflush(stdout);
    }
    const RenderStats& s = (*renderer)->stats();
    std::printf("# wlgpu stats: frames=%llu passes=%llu draw calls=%llu buffers=%llu bind groups=%llu pipelines=%llu\n",
                (unsigned long long)s.frames, (unsigned long long)s.render_passes, (unsigned long long)s.draws,
                (unsigned long long)s.buffers_created, (unsigned long long)s.bind_groups_created,
                (unsigned long long)s.pipelines_created);
    return 0;
}
