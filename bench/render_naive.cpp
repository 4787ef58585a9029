// bench/render's naive raw-Dawn peer (kept deliberately naive: see render_peers.hpp). Per
// frame: a new uniform buffer (one 256-byte slot per surface) written with
// wgpuQueueWriteBuffer; per draw: a new bind group, SetPipeline, SetBindGroup, Draw.
#include <algorithm>

#include "render_peers.hpp"

using namespace wlgpu;

namespace bench {

NaivePeer::NaivePeer(Bridge& br) : b(br) {
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
    WGPUBindGroupLayoutEntry e[3]{};
    e[0].binding = 0;
    e[0].visibility = WGPUShaderStage_Vertex;
    e[0].buffer.type = WGPUBufferBindingType_Uniform;
    e[0].buffer.minBindingSize = 32;
    texture_sampler_entries(e + 1, 1);
    p = make_peer_pipeline(b.device(), wgsl, e, nullptr);
}

void NaivePeer::frame(Texture& target, const std::vector<Surface>& surfaces) {
    const size_t stride = 256;  // minUniformBufferOffsetAlignment
    WGPUBufferDescriptor bd{};
    bd.size = std::max<size_t>(stride * surfaces.size(), 256);
    bd.usage = WGPUBufferUsage_Uniform | WGPUBufferUsage_CopyDst;
    wg::Buffer ubo = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(b.device(), &bd));
    std::vector<float> data(bd.size / 4);
    for (size_t i = 0; i < surfaces.size(); i++) {
        const Box& d = surfaces[i].dst;
        float* u = data.data() + i * stride / 4;
        u[0] = 2.0f * d.x / kW - 1, u[1] = 1 - 2.0f * d.y / kH;
        u[2] = 2.0f * (d.x + d.width) / kW - 1, u[3] = 1 - 2.0f * (d.y + d.height) / kH;
        u[4] = 0, u[5] = 0, u[6] = 1, u[7] = 1;
    }
    wgpuQueueWriteBuffer(b.queue(), ubo.get(), 0, data.data(), bd.size);
    wg::CommandEncoder enc = wg::CommandEncoder::Acquire(wgpuDeviceCreateCommandEncoder(b.device(), nullptr));
    wg::RenderPassEncoder pass = begin_cleared_pass(enc.get(), target.view());
    for (size_t i = 0; i < surfaces.size(); i++) {
        WGPUBindGroupEntry e[3]{};
        e[0].binding = 0;
        e[0].buffer = ubo.get();
        e[0].offset = i * stride;
        e[0].size = 32;
        e[1].binding = 1;
        e[1].textureView = surfaces[i].tex->view();
        e[2].binding = 2;
        e[2].sampler = p.sampler.get();
        WGPUBindGroupDescriptor gd{};
        gd.layout = p.layout.get();
        gd.entryCount = 3;
        gd.entries = e;
        wg::BindGroup g = wg::BindGroup::Acquire(wgpuDeviceCreateBindGroup(b.device(), &gd));
        wgpuRenderPassEncoderSetPipeline(pass.get(), p.pipeline.get());
        wgpuRenderPassEncoderSetBindGroup(pass.get(), 0, g.get(), 0, nullptr);
        wgpuRenderPassEncoderDraw(pass.get(), 4, 1, 0, 0);
    }
    wgpuRenderPassEncoderEnd(pass.get());
    wg::CommandBuffer cmd = wg::CommandBuffer::Acquire(wgpuCommandEncoderFinish(enc.get(), nullptr));
    WGPUCommandBuffer c = cmd.get();
    wgpuQueueSubmit(b.queue(), 1, &c);
}

}  // namespace bench
