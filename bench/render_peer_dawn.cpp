// Raw-Dawn pieces the two bench/render peers build identically (render_peers.hpp): the
// pipeline objects (WGSL entry points vs/fs, BGRA8 target, premultiplied blending, a
// 4-vertex triangle strip per quad), the bilinear sampler, the render pass that clears.
#include "render_peers.hpp"

namespace bench {

void texture_sampler_entries(WGPUBindGroupLayoutEntry* e, uint32_t binding) {
    e[0].binding = binding;
    e[0].visibility = WGPUShaderStage_Fragment;
    e[0].texture.sampleType = WGPUTextureSampleType_Float;
    e[0].texture.viewDimension = WGPUTextureViewDimension_2D;
    e[1].binding = binding + 1;
    e[1].visibility = WGPUShaderStage_Fragment;
    e[1].sampler.type = WGPUSamplerBindingType_Filtering;
}

PeerPipeline make_peer_pipeline(WGPUDevice device, const char* wgsl, std::span<const WGPUBindGroupLayoutEntry> entries,
                                const WGPUVertexBufferLayout* vertex_buffer) {
    PeerPipeline p;
    auto src = wg::chained<WGPUShaderSourceWGSL>();
    src.code = wg::sv(wgsl);
    WGPUShaderModuleDescriptor sd{};
    sd.nextInChain = &src.chain;
    p.module = wg::ShaderModule::Acquire(wgpuDeviceCreateShaderModule(device, &sd));
    WGPUBindGroupLayoutDescriptor ld{};
    ld.entryCount = entries.size();
    ld.entries = entries.data();
    p.layout = wg::BindGroupLayout::Acquire(wgpuDeviceCreateBindGroupLayout(device, &ld));
    WGPUBindGroupLayout l = p.layout.get();
    WGPUPipelineLayoutDescriptor pld{};
    pld.bindGroupLayoutCount = 1;
    pld.bindGroupLayouts = &l;
    p.pipeline_layout = wg::PipelineLayout::Acquire(wgpuDeviceCreatePipelineLayout(device, &pld));
    WGPUBlendState blend{};
    blend.color = {WGPUBlendOperation_Add, WGPUBlendFactor_One, WGPUBlendFactor_OneMinusSrcAlpha};
    blend.alpha = blend.color;
    WGPUColorTargetState target{};
    target.format = WGPUTextureFormat_BGRA8Unorm;
    target.blend = &blend;
    target.writeMask = WGPUColorWriteMask_All;
    WGPUFragmentState fs{};
    fs.module = p.module.get();
    fs.entryPoint = wg::sv("fs");
    fs.targetCount = 1;
    fs.targets = &target;
    WGPURenderPipelineDescriptor pd{};
    pd.layout = p.pipeline_layout.get();
    pd.vertex.module = p.module.get();
    pd.vertex.entryPoint = wg::sv("vs");
    pd.vertex.bufferCount = vertex_buffer ? 1 : 0;
    pd.vertex.buffers = vertex_buffer;
    pd.primitive.topology = WGPUPrimitiveTopology_TriangleStrip;
    pd.multisample.count = 1;
    pd.multisample.mask = ~0u;
    pd.fragment = &fs;
    p.pipeline = wg::RenderPipeline::Acquire(wgpuDeviceCreateRenderPipeline(device, &pd));
    WGPUSamplerDescriptor smd{};
    smd.addressModeU = smd.addressModeV = smd.addressModeW = WGPUAddressMode_ClampToEdge;
    smd.magFilter = smd.minFilter = WGPUFilterMode_Linear;
    smd.lodMaxClamp = 32;
    smd.maxAnisotropy = 1;
    p.sampler = wg::Sampler::Acquire(wgpuDeviceCreateSampler(device, &smd));
    return p;
}

wg::RenderPassEncoder begin_cleared_pass(WGPUCommandEncoder enc, WGPUTextureView view) {
    WGPURenderPassColorAttachment color{};
    color.view = view;
    color.depthSlice = WGPU_DEPTH_SLICE_UNDEFINED;
    color.loadOp = WGPULoadOp_Clear;
    color.storeOp = WGPUStoreOp_Store;
    color.clearValue = {0, 0, 0, 1};
    WGPURenderPassDescriptor rp{};
    rp.colorAttachmentCount = 1;
    rp.colorAttachments = &color;
    return wg::RenderPassEncoder::Acquire(wgpuCommandEncoderBeginRenderPass(enc, &rp));
}

}  // namespace bench
