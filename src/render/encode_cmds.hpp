// The one loop that turns a frame's draw commands into encoder calls, for a render pass
// (frame.cpp) and for a render bundle (bundle.cpp): consecutive commands share their pipeline,
// bind group and scissor where they can. Snapshots (pass boundaries) are the caller's.
#pragma once

#include <span>

#include "render/effects.hpp"
#include "render/renderer_impl.hpp"

namespace wlgpu::render {

using PipelineOf = Result<WGPURenderPipeline> (*)(Renderer::Impl& r, PipelineKey key);

// A render pass: its scissor starts as the whole target.
struct PassCalls {
    WGPURenderPassEncoder pass;
    Box scissor;
    void set_pipeline(WGPURenderPipeline p) { wgpuRenderPassEncoderSetPipeline(pass, p); }
    void set_bind_group(WGPUBindGroup g) { wgpuRenderPassEncoderSetBindGroup(pass, 0, g, 0, nullptr); }
    void set_scissor(const Box& s) {
        if (s == scissor) return;
        scissor = s;
        wgpuRenderPassEncoderSetScissorRect(pass, uint32_t(s.x), uint32_t(s.y), uint32_t(s.width), uint32_t(s.height));
    }
    void draw(uint32_t vertices, uint32_t count, uint32_t first) {
        wgpuRenderPassEncoderDraw(pass, vertices, count, 0, first);
    }
};

// A render bundle: it cannot set a scissor; its commands share one, which the pass that
// executes it sets.
struct BundleCalls {
    WGPURenderBundleEncoder bundle;
    void set_pipeline(WGPURenderPipeline p) { wgpuRenderBundleEncoderSetPipeline(bundle, p); }
    void set_bind_group(WGPUBindGroup g) { wgpuRenderBundleEncoderSetBindGroup(bundle, 0, g, 0, nullptr); }
    void set_scissor(const Box&) {}
    void draw(uint32_t vertices, uint32_t count, uint32_t first) {
        wgpuRenderBundleEncoderDraw(bundle, vertices, count, 0, first);
    }
};

// Encodes cmds (no snapshot among them) through calls.
template <class Calls>
Result<void> encode_cmds(Renderer::Impl& r, Calls& calls, std::span<const Cmd> cmds, PipelineOf pipeline_of) {
    WGPURenderPipeline cur_pipe = nullptr;
    PipelineKey cur_key{};
    WGPUBindGroup cur_bg = nullptr;
    for (const Cmd& c : cmds) {
        if (!cur_pipe || !(c.key == cur_key)) {  // consecutive commands mostly share their pipeline
            auto pipe = pipeline_of(r, c.key);
            if (!pipe) return std::unexpected(pipe.error());
            if (*pipe != cur_pipe) calls.set_pipeline(cur_pipe = *pipe);
            cur_key = c.key;
        }
        if (c.bind_group && c.bind_group != cur_bg) calls.set_bind_group(cur_bg = c.bind_group);
        calls.set_scissor(c.scissor);
        calls.draw(effects::vertices(c.key.kind), c.count, c.first);
    }
    return {};
}

}  // namespace wlgpu::render
