// bench/render's competent raw-Dawn peer (see render_peers.hpp). Made once: one shader, one
// pipeline (instanced quads, premultiplied blending), one sampler (render_peer_dawn.cpp). Per frame: the instances
// (rect + uv per surface) into a reused vector, ONE wgpuQueueWriteBuffer into the instance
// buffer (grown only when too small), one render pass with a clear, SetPipeline and
// SetVertexBuffer once, then per surface SetBindGroup (cached per texture) + Draw of one
// instance; consecutive surfaces sharing a texture become one instanced draw.
#include <algorithm>

#include "render_peers.hpp"

using namespace wlgpu;

namespace bench {

namespace {

const char* const kWgsl = R"(
struct V { @builtin(position) pos: vec4f, @location(0) uv: vec2f }
@vertex fn vs(@builtin(vertex_index) i: u32, @location(0) rect: vec4f, @location(1) uv: vec4f) -> V {
    let s = f32(i & 1u);
    let t = f32(i >> 1u);
    var o: V;
    o.pos = vec4f(mix(rect.x, rect.z, s), mix(rect.y, rect.w, t), 0.0, 1.0);
    o.uv = vec2f(mix(uv.x, uv.z, s), mix(uv.y, uv.w, t));
    return o;
}
@group(0) @binding(0) var tex: texture_2d<f32>;
@group(0) @binding(1) var smp: sampler;
@fragment fn fs(v: V) -> @location(0) vec4f { return textureSample(tex, smp, v.uv); }
)";

}  // namespace

CompetentPeer::CompetentPeer(Bridge& b) : b_(b) {
    WGPUBindGroupLayoutEntry e[2]{};
    texture_sampler_entries(e, 0);
    WGPUVertexAttribute attrs[2]{};
    attrs[0] = {nullptr, WGPUVertexFormat_Float32x4, offsetof(Instance, rect), 0};
    attrs[1] = {nullptr, WGPUVertexFormat_Float32x4, offsetof(Instance, uv), 1};
    WGPUVertexBufferLayout vb{};
    vb.stepMode = WGPUVertexStepMode_Instance;
    vb.arrayStride = sizeof(Instance);
    vb.attributeCount = 2;
    vb.attributes = attrs;
    p_ = make_peer_pipeline(b.device(), kWgsl, e, &vb);
}

WGPUBindGroup CompetentPeer::bind_group(const Texture& t) {
    auto [it, fresh] = groups_.try_emplace(t.view());
    if (fresh) {
        WGPUBindGroupEntry e[2]{};
        e[0].binding = 0;
        e[0].textureView = t.view();
        e[1].binding = 1;
        e[1].sampler = p_.sampler.get();
        WGPUBindGroupDescriptor gd{};
        gd.layout = p_.layout.get();
        gd.entryCount = 2;
        gd.entries = e;
        it->second = wg::BindGroup::Acquire(wgpuDeviceCreateBindGroup(b_.device(), &gd));
        bind_groups_created_++;
    }
    return it->second.get();
}

void CompetentPeer::reserve(size_t count) {
    if (count <= capacity_) return;
    size_t cap = std::max<size_t>(64, capacity_ * 2);
    while (cap < count) cap *= 2;
    WGPUBufferDescriptor bd{};
    bd.size = cap * sizeof(Instance);
    bd.usage = WGPUBufferUsage_Vertex | WGPUBufferUsage_CopyDst;
    instances_ = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(b_.device(), &bd));
    capacity_ = cap;
    buffers_created_++;
}

void CompetentPeer::frame(Texture& target, const std::vector<Surface>& surfaces) {
    const double tw = target.width(), th = target.height();
    scratch_.clear();
    for (const Surface& s : surfaces) {
        const Box& d = s.dst;
        scratch_.push_back({{float(2.0 * d.x / tw - 1.0), float(1.0 - 2.0 * d.y / th),
                             float(2.0 * (d.x + d.width) / tw - 1.0), float(1.0 - 2.0 * (d.y + d.height) / th)},
                            {0, 0, 1, 1}});
    }
    reserve(scratch_.size());
    const uint64_t bytes = scratch_.size() * sizeof(Instance);
    if (bytes) wgpuQueueWriteBuffer(b_.queue(), instances_.get(), 0, scratch_.data(), bytes);

    wg::CommandEncoder enc = wg::CommandEncoder::Acquire(wgpuDeviceCreateCommandEncoder(b_.device(), nullptr));
    wg::RenderPassEncoder pass = begin_cleared_pass(enc.get(), target.view());
    if (bytes) {
        wgpuRenderPassEncoderSetPipeline(pass.get(), p_.pipeline.get());
        wgpuRenderPassEncoderSetVertexBuffer(pass.get(), 0, instances_.get(), 0, bytes);
    }
    for (size_t i = 0; i < surfaces.size();) {
        WGPUBindGroup g = bind_group(*surfaces[i].tex);
        size_t j = i + 1;
        while (j < surfaces.size() && surfaces[j].tex->view() == surfaces[i].tex->view()) j++;
        wgpuRenderPassEncoderSetBindGroup(pass.get(), 0, g, 0, nullptr);
        wgpuRenderPassEncoderDraw(pass.get(), 4, uint32_t(j - i), 0, uint32_t(i));
        i = j;
    }
    wgpuRenderPassEncoderEnd(pass.get());
    wg::CommandBuffer cmd = wg::CommandBuffer::Acquire(wgpuCommandEncoderFinish(enc.get(), nullptr));
    WGPUCommandBuffer c = cmd.get();
    wgpuQueueSubmit(b_.queue(), 1, &c);
}

}  // namespace bench
