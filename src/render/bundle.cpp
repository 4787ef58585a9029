// Render-bundle replay of an unchanged pass. A compositor redraws the same scene most frames
// (a cursor blink, a video's new content: the textures' contents change, not the commands);
// replaying a recorded bundle skips Dawn's per-call validation and state tracking of the
// pipelines, bind groups and draws. Instance contents are read when the bundle executes, so a
// moved window (a changed instance) replays the same bundle; a changed command list (another
// texture, another draw count or order, another scissor) or another instance buffer does not.
#include "render/bundle.hpp"

#include <algorithm>

namespace wlgpu::render::bundle {

void forget(Renderer::Impl& r) {
    PassBundle& b = r.bundle;
    b.bundle.reset();
    b.cmds.clear();
    b.instances = nullptr;
    b.draws = b.scissored_draws = 0;
}

namespace {

// Bundleable: one pass (no snapshot), every command under the first one's scissor.
bool bundleable(const std::vector<Cmd>& cmds) {
    if (cmds.empty()) return false;
    const Box& s = cmds.front().scissor;
    return std::ranges::all_of(cmds, [&](const Cmd& c) { return c.key.kind != Kind::snapshot && c.scissor == s; });
}

Result<wg::RenderBundle> record(Frame::Impl& f, PipelineOf pipeline_of) {
    Renderer::Impl& r = *f.r;
    const WGPUTextureFormat format = f.target->format().texture;
    WGPURenderBundleEncoderDescriptor d{};
    d.label = wg::sv("wlgpu pass bundle");
    d.colorFormatCount = 1;
    d.colorFormats = &format;
    d.depthStencilFormat = WGPUTextureFormat_Undefined;
    d.sampleCount = 1;
    auto enc = wg::RenderBundleEncoder::Acquire(wgpuDeviceCreateRenderBundleEncoder(r.bridge->device(), &d));
    wgpuRenderBundleEncoderSetVertexBuffer(enc.get(), 0, r.instances.get(), 0, f.instances.size() * sizeof(Instance));
    BundleCalls calls{enc.get()};
    if (auto ok = encode_cmds(r, calls, f.cmds, pipeline_of); !ok) return std::unexpected(ok.error());
    WGPURenderBundleDescriptor bd{};
    bd.label = d.label;
    return wg::RenderBundle::Acquire(wgpuRenderBundleEncoderFinish(enc.get(), &bd));
}

}  // namespace

Result<WGPURenderBundle> of_frame(Frame::Impl& f, PipelineOf pipeline_of) {
    Renderer::Impl& r = *f.r;
    PassBundle& b = r.bundle;
    if (!bundleable(f.cmds)) {
        forget(r);
        return nullptr;
    }
    const WGPUTextureFormat format = f.target->format().texture;
    const uint64_t bytes = f.instances.size() * sizeof(Instance);
    const bool same = b.format == format && b.instances == r.instances.get() && b.instance_bytes == bytes &&
                      std::ranges::equal(b.cmds, f.cmds);
    if (!same) {  // remember the commands only: a list that changes every frame records nothing
        forget(r);
        b.cmds.assign(f.cmds.begin(), f.cmds.end());
        b.format = format;
        b.instances = r.instances.get();
        b.instance_bytes = bytes;
        return nullptr;
    }
    if (b.bundle) {
        r.stats.bundles_replayed++;
    } else {
        auto rec = record(f, pipeline_of);
        if (!rec) {
            forget(r);
            return std::unexpected(rec.error());
        }
        b.bundle = std::move(*rec);
        b.draws = f.cmds.size();
        b.scissored_draws = uint64_t(std::ranges::count_if(f.cmds, [](const Cmd& c) { return c.clipped; }));
        r.stats.bundles_recorded++;
    }
    r.stats.draws += b.draws;
    r.stats.scissored_draws += b.scissored_draws;
    return b.bundle.get();
}

}  // namespace wlgpu::render::bundle
