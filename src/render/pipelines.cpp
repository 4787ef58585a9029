// Pipelines cached per (target format, kind, blend); shared layouts and samplers.
#include <algorithm>
#include <format>

#include "render/renderer_impl.hpp"

namespace wlgpu::render {

namespace {

wg::Sampler make_sampler(WGPUDevice device, WGPUFilterMode mode) {
    WGPUSamplerDescriptor d{};
    d.addressModeU = d.addressModeV = d.addressModeW = WGPUAddressMode_ClampToEdge;
    d.magFilter = d.minFilter = mode;
    d.mipmapFilter = WGPUMipmapFilterMode_Nearest;
    d.lodMinClamp = 0;
    d.lodMaxClamp = 32;
    d.maxAnisotropy = 1;
    return wg::Sampler::Acquire(wgpuDeviceCreateSampler(device, &d));
}

wg::BindGroupLayout make_texture_layout(WGPUDevice device) {
    WGPUBindGroupLayoutEntry e[2]{};
    e[0].binding = 0;
    e[0].visibility = WGPUShaderStage_Fragment | WGPUShaderStage_Compute;  // compute.cpp too
    e[0].texture.sampleType = WGPUTextureSampleType_Float;
    e[0].texture.viewDimension = WGPUTextureViewDimension_2D;
    e[1].binding = 1;
    e[1].visibility = WGPUShaderStage_Fragment | WGPUShaderStage_Compute;
    e[1].sampler.type = WGPUSamplerBindingType_Filtering;
    WGPUBindGroupLayoutDescriptor d{};
    d.label = wg::sv("wlgpu texture");
    d.entryCount = 2;
    d.entries = e;
    return wg::BindGroupLayout::Acquire(wgpuDeviceCreateBindGroupLayout(device, &d));
}

wg::PipelineLayout make_pipeline_layout(WGPUDevice device, WGPUBindGroupLayout bgl) {
    WGPUPipelineLayoutDescriptor d{};
    d.bindGroupLayoutCount = bgl ? 1 : 0;
    d.bindGroupLayouts = bgl ? &bgl : nullptr;
    return wg::PipelineLayout::Acquire(wgpuDeviceCreatePipelineLayout(device, &d));
}

}  // namespace

Result<void> init_pipelines(WGPUDevice device, Pipelines& p) {
    auto wgsl = wg::chained<WGPUShaderSourceWGSL>();
    wgsl.code = wg::sv(kShaderWgsl.c_str());
    WGPUShaderModuleDescriptor sd{};
    sd.nextInChain = &wgsl.chain;
    sd.label = wg::sv("wlgpu renderer");
    p.module = wg::ShaderModule::Acquire(wgpuDeviceCreateShaderModule(device, &sd));
    p.texture_layout = make_texture_layout(device);
    p.texture_pipeline_layout = make_pipeline_layout(device, p.texture_layout.get());
    p.rect_pipeline_layout = make_pipeline_layout(device, nullptr);
    p.samplers[size_t(Filter::bilinear)] = make_sampler(device, WGPUFilterMode_Linear);
    p.samplers[size_t(Filter::nearest)] = make_sampler(device, WGPUFilterMode_Nearest);
    if (!p.module || !p.texture_layout || !p.texture_pipeline_layout || !p.rect_pipeline_layout || !p.samplers[0] ||
        !p.samplers[1])
        return fail(Errc::gpu_error, "creating the renderer's shader, layouts or samplers failed");
    return {};
}

wg::BindGroup texture_bind_group(WGPUDevice device, const Pipelines& p, WGPUTextureView view, Filter filter) {
    WGPUBindGroupEntry e[2]{};
    e[0].binding = 0;
    e[0].textureView = view;
    e[1].binding = 1;
    e[1].sampler = p.samplers[size_t(filter) & 1].get();
    WGPUBindGroupDescriptor d{};
    d.layout = p.texture_layout.get();
    d.entryCount = 2;
    d.entries = e;
    return wg::BindGroup::Acquire(wgpuDeviceCreateBindGroup(device, &d));
}

wg::RenderPipeline create_quad_pipeline(WGPUDevice device, const QuadPipelineDesc& q) {
    // Per-instance quads: vec4 attributes (4: see Instance), a 4-vertex triangle strip each.
    WGPUVertexAttribute attrs[16]{};
    const uint32_t count = std::min<uint32_t>(q.vec4_attributes, 16);
    for (uint32_t i = 0; i < count; i++) {
        attrs[i].format = WGPUVertexFormat_Float32x4;
        attrs[i].offset = 16 * i;
        attrs[i].shaderLocation = i;
    }
    WGPUVertexBufferLayout vb{};
    vb.stepMode = WGPUVertexStepMode_Instance;
    vb.arrayStride = q.instance_stride;
    vb.attributeCount = count;
    vb.attributes = attrs;

    WGPUBlendState blend{};
    blend.color = {WGPUBlendOperation_Add, WGPUBlendFactor_One, WGPUBlendFactor_OneMinusSrcAlpha};
    blend.alpha = blend.color;
    WGPUColorTargetState target{};
    target.format = q.format;
    target.blend = q.blend == Blend::premultiplied ? &blend : nullptr;
    target.writeMask = WGPUColorWriteMask_All;

    WGPUFragmentState fs{};
    fs.module = q.module;
    fs.entryPoint = wg::sv(q.fragment_entry);
    fs.targetCount = 1;
    fs.targets = &target;

    WGPURenderPipelineDescriptor d{};
    d.label = wg::sv(q.label);
    d.layout = q.layout;
    d.vertex.module = q.module;
    d.vertex.entryPoint = wg::sv(q.vertex_entry);
    d.vertex.bufferCount = 1;
    d.vertex.buffers = &vb;
    d.primitive.topology = WGPUPrimitiveTopology_TriangleStrip;
    d.primitive.cullMode = WGPUCullMode_None;
    d.primitive.frontFace = WGPUFrontFace_CCW;
    d.multisample.count = 1;
    d.multisample.mask = ~0u;
    d.fragment = &fs;
    return wg::RenderPipeline::Acquire(wgpuDeviceCreateRenderPipeline(device, &d));
}

namespace {

Result<WGPURenderPipeline> create_pipeline(WGPUDevice device, Pipelines& p, PipelineKey key, uint64_t& created) {
    const bool tex = key.kind == Kind::texture;
    wg::RenderPipeline pipe = create_quad_pipeline(
        device, {p.module.get(), tex ? p.texture_pipeline_layout.get() : p.rect_pipeline_layout.get(),
                 tex ? "fs_texture" : "fs_rect", tex ? "wlgpu texture" : "wlgpu rect", key.format, key.blend});
    if (!pipe) return fail(Errc::gpu_error, "creating a render pipeline for format {:#x} failed", uint32_t(key.format));
    created++;
    WGPURenderPipeline raw = pipe.get();
    p.cache.emplace(key, std::move(pipe));
    return raw;
}

}  // namespace

// A target format's whole set (rect and texture, both blends), created at its first frame as
// wlroots' Vulkan renderer does per render format: a pipeline compiled later would stall the frame
// that first needs it (hundreds of ms on lavapipe in the test bed), e.g. the frame in which the
// first window appears, while clients wait for the compositor's answers.
Result<void> warm_pipelines(WGPUDevice device, Pipelines& p, WGPUTextureFormat format, uint64_t& created) {
    for (Kind kind : {Kind::rect, Kind::texture})
        for (Blend blend : {Blend::premultiplied, Blend::none})
            if (const PipelineKey k{format, kind, blend}; !p.cache.contains(k))
                if (auto made = create_pipeline(device, p, k, created); !made) return std::unexpected(made.error());
    return {};
}

Result<WGPURenderPipeline> get_pipeline(WGPUDevice device, Pipelines& p, PipelineKey key, uint64_t& created) {
    if (auto it = p.cache.find(key); it != p.cache.end()) return it->second.get();
    return create_pipeline(device, p, key, created);  // not of the warm set (Frame::submit warms it first)
}

}  // namespace wlgpu::render
