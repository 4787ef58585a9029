// YUV pipeline and bind groups (see yuv.hpp). The state lives in Renderer::Impl::yuv.
#include "render/yuv.hpp"

#include <format>
#include <map>

namespace wlgpu::render::yuv {

namespace {

struct Uniform {
    float r[4], g[4], b[4];
    uint32_t layout, swap, filter, pad;
};
static_assert(sizeof(Uniform) == 64);

struct State {
    wg::ShaderModule module;
    wg::BindGroupLayout layout;
    wg::PipelineLayout pipeline_layout;
    std::map<std::pair<WGPUTextureFormat, Blend>, wg::RenderPipeline> pipelines;
};

Result<State*> state(Renderer::Impl& r) {
    if (r.yuv) return static_cast<State*>(r.yuv.get());
    auto s = std::make_shared<State>();
    WGPUDevice dev = r.bridge->device();
    auto wgsl = wg::chained<WGPUShaderSourceWGSL>();
    wgsl.code = wg::sv(kYuvShaderWgsl.c_str());
    WGPUShaderModuleDescriptor sd{};
    sd.nextInChain = &wgsl.chain;
    sd.label = wg::sv("wlgpu yuv");
    WGPUBindGroupLayoutEntry e[5]{};
    for (uint32_t i = 0; i < 3; i++) {
        e[i].binding = i;
        e[i].visibility = WGPUShaderStage_Fragment;
        e[i].texture.sampleType = WGPUTextureSampleType_Float;
        e[i].texture.viewDimension = WGPUTextureViewDimension_2D;
    }
    e[3].binding = 3;
    e[3].visibility = WGPUShaderStage_Fragment;
    e[3].sampler.type = WGPUSamplerBindingType_Filtering;
    e[4].binding = 4;
    e[4].visibility = WGPUShaderStage_Fragment;
    e[4].buffer.type = WGPUBufferBindingType_Uniform;
    e[4].buffer.minBindingSize = sizeof(Uniform);
    WGPUBindGroupLayoutDescriptor bd{};
    bd.label = wg::sv("wlgpu yuv");
    bd.entryCount = 5;
    bd.entries = e;
    auto ok = r.bridge->scoped(
        [&] {
            s->module = wg::ShaderModule::Acquire(wgpuDeviceCreateShaderModule(dev, &sd));
            s->layout = wg::BindGroupLayout::Acquire(wgpuDeviceCreateBindGroupLayout(dev, &bd));
            WGPUBindGroupLayout l = s->layout.get();
            WGPUPipelineLayoutDescriptor pd{};
            pd.bindGroupLayoutCount = 1;
            pd.bindGroupLayouts = &l;
            s->pipeline_layout = wg::PipelineLayout::Acquire(wgpuDeviceCreatePipelineLayout(dev, &pd));
        },
        "creating the YUV shader and layouts");
    if (!ok) return std::unexpected(ok.error());
    r.yuv = s;
    return s.get();
}

}  // namespace

std::array<std::array<float, 4>, 3> matrix(YuvColor c, uint32_t bits) {
    double kr = 0.299, kb = 0.114;  // BT.601
    if (c.matrix == YuvMatrix::bt709) kr = 0.2126, kb = 0.0722;
    if (c.matrix == YuvMatrix::bt2020) kr = 0.2627, kb = 0.0593;
    const double kg = 1.0 - kr - kb;
    // Raw sample -> integer code: unorm8 * 255; for 10 bits (P010) the shader already hands over
    // the integer code (16-bit sample >> 6, rebuilt from its bytes), so the scale is 1.
    const double code = bits == 8 ? 255.0 : 1.0;
    const double k = double(1u << (bits - 8));
    double y_off, y_div, c_off, c_div;
    if (c.range == YuvRange::limited) {
        y_off = 16 * k, y_div = 219 * k, c_off = 128 * k, c_div = 224 * k;
    } else {
        y_off = 0, y_div = double((1u << bits) - 1), c_off = double(1u << (bits - 1)), c_div = y_div;
    }
    // Y = (code*y - y_off) / y_div; Cb, Cr = (code*c - c_off) / c_div (Cb, Cr in -0.5..0.5)
    const double ys = code / y_div, yo = -y_off / y_div, cs = code / c_div, co = -c_off / c_div;
    // R = Y + 2(1-kr) Cr; B = Y + 2(1-kb) Cb; G = (Y - kr R - kb B) / kg
    const double rcr = 2 * (1 - kr), bcb = 2 * (1 - kb);
    const double gcb = -kb * bcb / kg, gcr = -kr * rcr / kg;
    std::array<std::array<float, 4>, 3> m{};
    const double rows[3][3] = {{1, 0, rcr}, {1, gcb, gcr}, {1, bcb, 0}};
    for (int i = 0; i < 3; i++) {
        m[i][0] = float(rows[i][0] * ys);
        m[i][1] = float(rows[i][1] * cs);
        m[i][2] = float(rows[i][2] * cs);
        m[i][3] = float(rows[i][0] * yo + (rows[i][1] + rows[i][2]) * co);
    }
    return m;
}

Result<WGPURenderPipeline> pipeline(Renderer::Impl& r, PipelineKey key) {
    auto s = state(r);
    if (!s) return std::unexpected(s.error());
    State& st = **s;
    if (auto it = st.pipelines.find({key.format, key.blend}); it != st.pipelines.end()) return it->second.get();

    wg::RenderPipeline pipe;
    auto ok = r.bridge->scoped(
        [&] {
            pipe = create_quad_pipeline(r.bridge->device(), {st.module.get(), st.pipeline_layout.get(), "fs_yuv",
                                                             "wlgpu yuv", key.format, key.blend});
        },
        "creating the YUV pipeline");
    if (!ok) return std::unexpected(ok.error());
    r.stats.pipelines_created++;
    WGPURenderPipeline raw = pipe.get();
    st.pipelines.emplace(std::pair{key.format, key.blend}, std::move(pipe));
    return raw;
}

Result<WGPUBindGroup> bind_group(Renderer::Impl& r, const Texture& t, const YuvPlaneViews& p, Filter filter) {
    auto s = state(r);
    if (!s) return std::unexpected(s.error());
    Texture::RendererCache::Entry* e = &r.cache_entry(t);
    const size_t f = size_t(filter) & 1;
    WGPUDevice dev = r.bridge->device();
    if (!e->uniforms[f]) {
        WGPUBufferDescriptor bd{};
        bd.label = wg::sv("wlgpu yuv uniform");
        bd.size = sizeof(Uniform);
        bd.usage = WGPUBufferUsage_Uniform | WGPUBufferUsage_CopyDst;
        e->uniforms[f] = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(dev, &bd));
        if (!e->uniforms[f]) return fail(Errc::gpu_error, "creating a YUV uniform buffer failed");
        r.stats.buffers_created++;
        e->generation[f] = 0;
    }
    if (e->generation[f] != p.color_generation) {
        // Ordered before the frame's submit by the queue.
        Uniform u{};
        auto m = matrix(p.color, p.bits);
        std::copy(m[0].begin(), m[0].end(), u.r);
        std::copy(m[1].begin(), m[1].end(), u.g);
        std::copy(m[2].begin(), m[2].end(), u.b);
        u.layout = uint32_t(p.layout);
        u.swap = p.layout == YuvLayout::two_plane && p.swap_uv ? 1 : 0;
        u.filter = uint32_t(filter);
        wgpuQueueWriteBuffer(r.bridge->queue(), e->uniforms[f].get(), 0, &u, sizeof(u));
        e->generation[f] = p.color_generation;
    }
    if (e->groups[f]) return e->groups[f].get();
    WGPUBindGroupEntry be[5]{};
    for (uint32_t i = 0; i < 3; i++) {
        be[i].binding = i;
        be[i].textureView = p.views[i];
    }
    be[3].binding = 3;
    be[3].sampler = r.pipelines.samplers[f].get();
    be[4].binding = 4;
    be[4].buffer = e->uniforms[f].get();
    be[4].size = sizeof(Uniform);
    WGPUBindGroupDescriptor d{};
    d.label = wg::sv("wlgpu yuv");
    d.layout = (*s)->layout.get();
    d.entryCount = 5;
    d.entries = be;
    auto ok = r.bridge->scoped([&] { e->groups[f] = wg::BindGroup::Acquire(wgpuDeviceCreateBindGroup(dev, &d)); },
                               std::format("creating a bind group for a {} texture", p.format_name));
    if (!ok) return std::unexpected(ok.error());
    r.stats.bind_groups_created++;
    return e->groups[f].get();
}

}  // namespace wlgpu::render::yuv
