// Frame: records draws into instance data and commands, then encodes ONE render
// pass: the instance buffer is bound once, consecutive draws that share pipeline,
// bind group and scissor become one instanced draw call.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "render/renderer_impl.hpp"
#include "common/signals_blocked.hpp"
#include "render/atlas.hpp"
#include "render/blit.hpp"
#include "render/bundle.hpp"
#include "render/compute.hpp"
#include "render/effects.hpp"
#include "render/yuv.hpp"

namespace wlgpu {

using render::Cmd;
using render::Instance;
using render::Kind;
using render::PipelineKey;

void render::set_rect(float rect[4], Box dst, uint32_t tw, uint32_t th) {
    rect[0] = float(2.0 * dst.x / tw - 1.0);
    rect[1] = float(1.0 - 2.0 * dst.y / th);
    rect[2] = float(2.0 * (double(dst.x) + dst.width) / tw - 1.0);
    rect[3] = float(1.0 - 2.0 * (double(dst.y) + dst.height) / th);
}

namespace {

// Colours and alpha as Dawn and the shaders take them: clamped to 0..1 (the range Color and
// alpha are defined on, and what a unorm target stores anyway), NaN as 0. Dawn refuses a clear
// value with a NaN or an infinity, which would lose the whole frame.
float unit(float v) { return v > 0.0f ? std::min(v, 1.0f) : 0.0f; }
Color unit(Color c) { return {unit(c.r), unit(c.g), unit(c.b), unit(c.a)}; }

}  // namespace

Frame::Frame(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Frame::Frame(Frame&&) noexcept = default;
Frame& Frame::operator=(Frame&&) noexcept = default;
Frame::~Frame() = default;

Frame::Impl::~Impl() {
    // Hand the scratch vectors back so the next frame reuses their storage.
    refs.clear();
    r->scratch_instances = std::move(instances);
    r->scratch_cmds = std::move(cmds);
    r->scratch_refs = std::move(refs);
    copies.clear();
    r->scratch_copies = std::move(copies);
    render::atlas::frame_ended(*r);
}

void Frame::Impl::push(PipelineKey key, WGPUBindGroup bg, Box dst, const Clip& clip, const Instance& inst) {
    if (add_cmds(key, bg, dst, clip, uint32_t(instances.size()))) instances.push_back(inst);
}

bool Frame::Impl::add_cmds(PipelineKey key, WGPUBindGroup bg, Box dst, const Clip& clip, uint32_t index) {
    const Box bounds{0, 0, int32_t(target->width()), int32_t(target->height())};
    const Box visible = intersect(dst, bounds);
    if (visible.empty()) return false;
    bool used = false;
    auto add = [&](Box scissor, bool clipped) {
        if (scissor.empty()) return;
        used = true;
        if (!cmds.empty()) {
            Cmd& last = cmds.back();
            if (last.key == key && last.bind_group == bg && last.scissor == scissor &&
                last.first + last.count == index) {
                last.count++;
                return;
            }
        }
        cmds.push_back(Cmd{key, bg, scissor, clipped, index, 1});
    };
    if (!clip) {
        add(bounds, false);
        return used;
    }
    // Every kind's quad covers exactly dst (effects: the quad they pass here; a shadow ring lies
    // inside it), so a clip box that holds the whole visible box clips nothing: the draw goes
    // unscissored and merges with its neighbours (wlr_scene clips every draw by the damage).
    for (const Box& c : *clip) {
        const Box part = intersect(visible, c);
        if (part == visible)
            add(bounds, false);
        else
            add(part, true);
    }
    return used;
}

void Frame::clear(Color color, Clip clip) {
    auto& f = *impl_;
    if (!clip && f.cmds.empty()) {
        f.load_clear = unit(color);  // nothing drawn yet: the pass's load op clears
        return;
    }
    RectDraw d;
    d.box = {0, 0, int32_t(f.target->width()), int32_t(f.target->height())};
    d.color = color;
    d.blend = Blend::none;
    d.clip = clip;
    (void)draw_rect(d);
}

bool render::pixel_aligned_1to1(const TextureDraw& d, const Texture& t) {
    const FBox src = d.src.empty() ? FBox{0, 0, double(t.width()), double(t.height())} : d.src;
    auto integral = [](double v) { return v == std::floor(v); };
    if (!integral(src.x) || !integral(src.y) || !integral(src.width) || !integral(src.height)) return false;
    const bool swapped = uint32_t(d.transform) & 1;  // 90 and 270 (flipped or not) swap the axes
    const double w = swapped ? src.height : src.width, h = swapped ? src.width : src.height;
    return w == double(d.dst.width) && h == double(d.dst.height);
}

// Recording a draw calls no Dawn function that can start a thread, except making a bind group
// (a cache miss: Renderer::Impl::bind_group blocks signals there) and a YUV texture's bind group
// and uniforms (blocked below). So signals are not blocked per draw: that was two system calls
// (rt_sigprocmask) a draw.
Result<bool> Frame::Impl::prepare_texture(const TextureDraw& d, const char* what, TexturePrep& out,
                                          bool may_use_atlas) {
    Frame::Impl& f = *this;
    if (f.submitted) return fail(Errc::invalid_argument, "{}: the frame was already submitted", what);
    if (!d.texture) return fail(Errc::invalid_argument, "{}: texture is null", what);
    if (d.dst.empty()) return false;
    const Texture& t = *d.texture;
    if (&t == f.target) return fail(Errc::invalid_argument, "{}: the texture is the frame's render target", what);
    if (!d.src.empty() && (d.src.x < 0 || d.src.y < 0 || d.src.x + d.src.width > t.width() + 1e-3 ||
                           d.src.y + d.src.height > t.height() + 1e-3))
        return fail(Errc::invalid_argument, "{}: src box {},{} {}x{} is outside the {}x{} texture", what, d.src.x,
                    d.src.y, d.src.width, d.src.height, t.width(), t.height());
    if (uint32_t(d.transform) > 7)
        return fail(Errc::invalid_argument, "{}: transform {} is not a wl_output_transform", what,
                    uint32_t(d.transform));
    const float alpha = unit(d.alpha);
    if (alpha <= 0.0f) return false;
    const std::optional<YuvPlaneViews> yuv = yuv_plane_views(t);
    std::optional<AsyncSignalsBlocked> blocked;
    if (yuv) blocked.emplace();  // Dawn or the driver may start threads here
    // A pixel-aligned 1:1 draw samples texel centres, where bilinear filtering is nearest
    // filtering: nearest is exact there and cheaper (llvmpipe has a fast path for it). Not for
    // YUV, whose chroma planes are upsampled by the filter.
    const Filter filter = !yuv && render::pixel_aligned_1to1(d, t) ? Filter::nearest : d.filter;
    const std::optional<render::atlas::Placement> atlas =
        yuv || !may_use_atlas ? std::nullopt : render::atlas::place(*f.r, t, filter);
    auto bg = atlas ? Result<WGPUBindGroup>(atlas->bind_group)
              : yuv ? render::yuv::bind_group(*f.r, t, *yuv, d.filter)
                    : f.r->bind_group(t, filter);
    if (!bg) return std::unexpected(bg.error());
    // Imported (DMA-BUF) textures: BeginAccess/EndAccess once per frame around the submit.
    if (t.shared_access && std::ranges::find(f.shared, t.shared_access) == f.shared.end())
        f.shared.push_back(t.shared_access);
    // Keep the bind group (and so the texture) alive until submit.
    if (f.refs.empty() || f.refs.back().get() != *bg) f.refs.push_back(wg::BindGroup(*bg));

    Instance in{};
    render::set_rect(in.rect, d.dst, f.target->width(), f.target->height());
    render::UvMap m = render::map_uv(d.src, d.transform, t.width(), t.height());
    std::copy_n(m.uv0, 2, in.uv0);
    std::copy_n(m.uv_s, 2, in.uv_s);
    std::copy_n(m.uv_t, 2, in.uv_t);
    in.alpha = alpha;
    uint32_t flags = (t.format().swap_rb ? render::kFlagSwapRb : 0) | (t.format().has_alpha ? 0 : render::kFlagOpaque);
    in.flags = float(flags);
    in.color[2] = in.color[3] = 1.0f;  // fs_texture's clamp: the whole texture
    out = {*bg, in, yuv.has_value(), {}};
    if (atlas) {
        render::atlas::map_instance(*atlas, t, out.instance);
        out.source = {atlas->texture, atlas->x, atlas->y};
    }
    return true;
}

Result<void> Frame::draw_texture(const TextureDraw& d) {  // signals: see prepare_texture
    auto& f = *impl_;
    Frame::Impl::TexturePrep p;
    auto ok = f.prepare_texture(d, "draw_texture", p, true);
    if (!ok || !*ok) return ok ? Result<void>{} : std::unexpected(ok.error());
    const auto index = uint32_t(f.instances.size());
    f.push({f.target->format().texture, p.yuv ? Kind::yuv : Kind::texture, d.blend}, p.bind_group, d.dst, d.clip,
           p.instance);
    if (!p.yuv && f.instances.size() > index) render::blit::note(f, d, index, p.source);
    return {};
}

Result<void> Frame::draw_rect(const RectDraw& d) {  // no Dawn call: no signal mask needed
    auto& f = *impl_;
    if (f.submitted) return fail(Errc::invalid_argument, "draw_rect: the frame was already submitted");
    if (d.box.empty()) return {};
    Instance in{};
    render::set_rect(in.rect, d.box, f.target->width(), f.target->height());
    const Color c = unit(d.color);
    in.color[0] = c.r, in.color[1] = c.g, in.color[2] = c.b, in.color[3] = c.a;
    // As wlroots: an opaque colour replaces, whatever the blend mode.
    Blend blend = c.a >= 1.0f ? Blend::none : d.blend;
    const auto index = uint32_t(f.instances.size());
    f.push({f.target->format().texture, Kind::rect, blend}, nullptr, d.box, d.clip, in);
    if (blend == Blend::none && f.instances.size() > index) render::blit::note_fill(f, c, d.box, index);
    return {};
}

namespace {

// Begins render pass `index` of `count` (more than one where effects snapshot the target), with
// the instance buffer bound unless a render bundle binds it.
wg::RenderPassEncoder begin_pass(Frame::Impl& f, WGPUCommandEncoder enc, size_t index, size_t count,
                                 bool bind_instances = true) {
    Renderer::Impl& r = *f.r;
    WGPURenderPassColorAttachment color{};
    color.view = f.target->view();
    color.depthSlice = WGPU_DEPTH_SLICE_UNDEFINED;
    const bool clear = f.load_clear && index == 0;
    color.loadOp = clear ? WGPULoadOp_Clear : WGPULoadOp_Load;
    color.storeOp = WGPUStoreOp_Store;
    if (clear) color.clearValue = {f.load_clear->r, f.load_clear->g, f.load_clear->b, f.load_clear->a};
    WGPURenderPassDescriptor pd{};
    pd.label = wg::sv("wlgpu frame");
    pd.colorAttachmentCount = 1;
    pd.colorAttachments = &color;
    WGPUPassTimestampWrites tw{};
    if (f.timer) {
        tw = f.timer->pass_writes();
        if (index > 0) tw.beginningOfPassWriteIndex = WGPU_QUERY_SET_INDEX_UNDEFINED;
        if (index + 1 < count) tw.endOfPassWriteIndex = WGPU_QUERY_SET_INDEX_UNDEFINED;
        pd.timestampWrites = &tw;
    }
    wg::RenderPassEncoder pass = wg::RenderPassEncoder::Acquire(wgpuCommandEncoderBeginRenderPass(enc, &pd));
    r.stats.render_passes++;
    if (bind_instances && !f.instances.empty())
        wgpuRenderPassEncoderSetVertexBuffer(pass.get(), 0, r.instances.get(), 0, f.instances.size() * sizeof(Instance));
    return pass;
}

Result<WGPURenderPipeline> pipeline_of(Renderer::Impl& r, PipelineKey key) {
    if (key.kind == Kind::yuv) return render::yuv::pipeline(r, key);
    if (uint32_t(key.kind) >= render::kEffectKindFirst) return render::effects::pipeline(r, key);
    return render::get_pipeline(r.bridge->device(), r.pipelines, key, r.stats.pipelines_created);
}

// One pass that executes the bundle of f's commands (bundle.cpp), under their common scissor.
void replay_pass(Frame::Impl& f, WGPUCommandEncoder enc, WGPURenderBundle bundle) {
    wg::RenderPassEncoder pass = begin_pass(f, enc, 0, 1, false);
    const Box& s = f.cmds.front().scissor;
    if (!(s == Box{0, 0, int32_t(f.target->width()), int32_t(f.target->height())}))
        wgpuRenderPassEncoderSetScissorRect(pass.get(), uint32_t(s.x), uint32_t(s.y), uint32_t(s.width),
                                            uint32_t(s.height));
    wgpuRenderPassEncoderExecuteBundles(pass.get(), 1, &bundle);
    wgpuRenderPassEncoderEnd(pass.get());
}

Result<void> encode_pass(Frame::Impl& f, WGPUCommandEncoder enc) {
    Renderer::Impl& r = *f.r;
    auto bundle = render::bundle::of_frame(f, pipeline_of);
    if (!bundle) return std::unexpected(bundle.error());
    if (*bundle) {
        replay_pass(f, enc, *bundle);
        return {};
    }
    const size_t passes = 1 + size_t(std::ranges::count(f.cmds, Kind::snapshot, [](const Cmd& c) { return c.key.kind; }));
    const Box whole{0, 0, int32_t(f.target->width()), int32_t(f.target->height())};
    const std::span<const Cmd> cmds = f.cmds;
    size_t start = 0;
    for (size_t pass_index = 0; pass_index < passes; pass_index++) {
        wg::RenderPassEncoder pass = begin_pass(f, enc, pass_index, passes);
        size_t end = start;
        while (end < cmds.size() && cmds[end].key.kind != Kind::snapshot) end++;
        const std::span<const Cmd> draws = cmds.subspan(start, end - start);
        render::PassCalls calls{pass.get(), whole};
        auto ok = render::encode_cmds(r, calls, draws, pipeline_of);
        wgpuRenderPassEncoderEnd(pass.get());
        if (!ok) return ok;
        r.stats.draws += draws.size();
        r.stats.scissored_draws += uint64_t(std::ranges::count_if(draws, [](const Cmd& c) { return c.clipped; }));
        if (end == cmds.size()) break;
        // A snapshot: post-processing reads what was drawn so far, then the next pass.
        if (auto snap = render::effects::encode_snapshot(r, f, cmds[end], enc); !snap) return snap;
        start = end + 1;
    }
    return {};
}

}  // namespace

SyncPoint& SyncPoint::operator=(SyncPoint&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) close(fd_);
        kind_ = o.kind_;
        fd_ = o.take_fence();
    }
    return *this;
}

SyncPoint::~SyncPoint() {
    if (fd_ >= 0) close(fd_);
}

namespace {
// The frame's completion: the target's end-of-access fence where its memory exports one.
SyncPoint completion(SharedAccess* target) {
    if (!target) return {};
    auto fd = target->export_end_sync_file();
    if (!fd) return {};  // no sync_file from this memory: the queue's work-done
    return SyncPoint::from_fence(fd->release());  // an empty Fd: already complete (signalled)
}
}  // namespace

Result<SyncPoint> Frame::submit() { return submit_impl(nullptr); }

Result<SyncPoint> Frame::submit(const MemoryTarget& read_back) { return submit_impl(&read_back); }

Result<SyncPoint> Frame::submit_impl(const MemoryTarget* read_back) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    auto& f = *impl_;
    if (f.submitted) return fail(Errc::invalid_argument, "submit: the frame was already submitted");
    f.submitted = true;
    Renderer::Impl& r = *f.r;
    Bridge& b = *r.bridge;
    if (b.lost()) {
        render::bundle::forget(r);  // what it holds belongs to the lost device
        render::blit::forget_fill(r);
        render::atlas::forget(r);
        return fail(Errc::device_lost, "submit: the device is lost");
    }
    const uint64_t bytes = f.instances.size() * sizeof(Instance);
    if (auto ok = r.ensure_instance_capacity(bytes); !ok) return std::unexpected(ok.error());
    r.upload_instances(f.instances);

    if (auto ok = render::warm_pipelines(b.device(), r.pipelines, f.target->format().texture, r.stats.pipelines_created);
        !ok)
        return std::unexpected(ok.error());
    wg::CommandEncoder enc = wg::CommandEncoder::Acquire(wgpuDeviceCreateCommandEncoder(b.device(), nullptr));
    render::atlas::flush(r, enc.get());  // atlas entries this frame (or an unsubmitted one) placed
    const bool copied = render::blit::hoist(f, enc.get());  // copies run before the pass
    // Copies that took every command leave an empty pass: none is encoded unless it clears or
    // carries the timer's timestamps. (Without any copy the empty pass stays: the submit then
    // still uses the target, as its shared access expects.)
    if (copied && f.cmds.empty() && !f.load_clear && !f.timer) {
        render::bundle::forget(r);  // the next frame does not repeat this one's pass
    } else if (render::compute::plan(f)) {
        render::bundle::forget(r);  // no pass for the next frame to repeat
        if (auto ok = render::compute::encode(f, enc.get()); !ok) return std::unexpected(ok.error());
    } else if (auto ok = encode_pass(f, enc.get()); !ok) {
        return std::unexpected(ok.error());
    }
    if (f.timer) f.timer->encode_resolve(enc.get());
    // The read-back goes last in the same command buffer: one submit for the frame and its copy.
    Result<bool> recorded = read_back ? f.target->record_read_back(enc.get(), *read_back) : Result<bool>(false);
    wg::CommandBuffer cmd = wg::CommandBuffer::Acquire(wgpuCommandEncoderFinish(enc.get(), nullptr));
    WGPUCommandBuffer c = cmd.get();
    // Shared-memory textures (the target and imported sources): one access each for this submit.
    if (f.target->shared_access && std::ranges::find(f.shared, f.target->shared_access) == f.shared.end())
        f.shared.push_back(f.target->shared_access);
    for (size_t i = 0; i < f.shared.size(); i++) {
        if (auto ok = f.shared[i]->begin(f.shared[i] == f.target->shared_access); !ok) {
            for (size_t j = 0; j < i; j++) (void)f.shared[j]->end();
            f.shared.clear();
            if (recorded && *recorded) f.target->cancel_read_back();
            return std::unexpected(ok.error());
        }
    }
    wgpuQueueSubmit(b.queue(), 1, &c);
    Result<void> ended;
    for (auto& s : f.shared)
        if (auto ok = s->end(); !ok && ended) ended = ok;
    f.shared.clear();
    if (f.timer) f.timer->after_submit();
    r.stats.frames++;
    f.refs.clear();
    f.keep.clear();
    SyncPoint done = completion(f.target->shared_access.get());
    if (!recorded) return std::unexpected(recorded.error());
    if (*recorded)
        if (auto ok = f.target->finish_read_back(); !ok) return std::unexpected(ok.error());
    if (!ended) return std::unexpected(ended.error());
    return done;
}

}  // namespace wlgpu
