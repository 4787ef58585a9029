// Effects: their state (built-in module, pipelines, user modules, pooled snapshot textures) in
// Renderer::Impl::effects, and the Frame calls that record them (see effects.hpp).
#include "render/effects.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <format>
#include <map>

#include "common/signals_blocked.hpp"

namespace wlgpu {

namespace render::effects {

namespace {

std::atomic<uint64_t> g_next_effect_id{1};

// A user effect's compiled module; removes its pipelines from the renderer when it goes.
struct Compiled;

// One intermediate texture: its view and a bind group per Filter.
struct Level {
    uint32_t width, height;
    wg::Texture texture;
    wg::TextureView view;
    std::array<wg::BindGroup, 2> groups;
};

// The pooled textures of a target format and size: level 0 is the snapshot (a copy of the
// target, then the blur's result), level i the blur's 1/2^i level; made when first needed.
struct Pool {
    WGPUTextureFormat format;
    uint32_t width, height;
    std::vector<Level> levels;
};

struct State {
    wg::ShaderModule module;  // the built-in fragment entry points
    std::map<PipelineKey, wg::RenderPipeline> pipelines;
    std::map<uint32_t, std::weak_ptr<Compiled>> user;  // by kind
    std::vector<Pool> pools;                           // one per target format and size
};

struct Compiled {
    uint64_t renderer_id;
    uint32_t kind;
    std::string name;
    wg::ShaderModule module;
    std::weak_ptr<State> state;
    ~Compiled() {
        auto s = state.lock();
        if (!s) return;
        s->user.erase(kind);
        std::erase_if(s->pipelines, [&](const auto& p) { return uint32_t(p.first.kind) == kind; });
    }
};

wg::ShaderModule make_module(WGPUDevice dev, const std::string& code, const std::string& label) {
    auto wgsl = wg::chained<WGPUShaderSourceWGSL>();
    wgsl.code = wg::sv(code.c_str());
    WGPUShaderModuleDescriptor sd{};
    sd.nextInChain = &wgsl.chain;
    sd.label = wg::sv(label.c_str());
    return wg::ShaderModule::Acquire(wgpuDeviceCreateShaderModule(dev, &sd));
}

Result<State*> state(Renderer::Impl& r) {
    if (r.effects) return static_cast<State*>(r.effects.get());
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    auto s = std::make_shared<State>();
    auto ok = r.bridge->scoped(
        [&] {
            s->module = make_module(r.bridge->device(), std::string(kEffectsWgsl) + render::kTexelFlagsWgsl + kBuiltinFragWgsl, "wlgpu effects");
        },
        "creating the effects shader");
    if (!ok) return std::unexpected(ok.error());
    r.effects = s;
    return s.get();
}

wg::RenderPipeline make_pipeline(Renderer::Impl& r, WGPUShaderModule module, uint32_t kind, PipelineKey key) {
    static const char* const entries[] = {"fs_fx_texture", "fs_fx_solid",  "fs_fx_linear",     "fs_fx_conic",
                                          "fs_fx_shadow",  "fs_blur_down", "fs_blur_up", "fs_blur_composite",
                                          "fs_fx_shadowed_texture", "fs_blur_composite_plain", "fs_fx_shadow"};
    const bool user = kind >= kUserFirst;
    const bool textured = user || kind == kTexture || (kind >= kBlurDown && kind != kShadowRing);
    QuadPipelineDesc q{module,
                       textured ? r.pipelines.texture_pipeline_layout.get() : r.pipelines.rect_pipeline_layout.get(),
                       user ? "fs_user" : entries[kind - kTexture],
                       "wlgpu effect",
                       key.format,
                       key.blend,
                       kAttributes,
                       sizeof(EffectInstance),
                       kind == kShadowRing ? "vs_fx_ring" : "vs_fx"};
    return create_quad_pipeline(r.bridge->device(), q);
}

Result<Level> make_level(Renderer::Impl& r, WGPUTextureFormat fmt, uint32_t w, uint32_t h) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    Level l{w, h, {}, {}, {}};
    auto ok = r.bridge->scoped(
        [&] {
            WGPUTextureDescriptor td{};
            td.label = wg::sv("wlgpu effect level");
            td.usage = WGPUTextureUsage_TextureBinding | WGPUTextureUsage_CopyDst | WGPUTextureUsage_CopySrc |
                       WGPUTextureUsage_RenderAttachment;
            td.dimension = WGPUTextureDimension_2D;
            td.size = {w, h, 1};
            td.format = fmt;
            td.mipLevelCount = 1;
            td.sampleCount = 1;
            l.texture = wg::Texture::Acquire(wgpuDeviceCreateTexture(r.bridge->device(), &td));
            l.view = wg::TextureView::Acquire(wgpuTextureCreateView(l.texture.get(), nullptr));
            for (size_t f = 0; f < 2; f++)
                l.groups[f] = render::texture_bind_group(r.bridge->device(), r.pipelines, l.view.get(), Filter(f));
        },
        "creating an effect texture");
    if (!ok) return std::unexpected(ok.error());
    r.stats.textures_created++;
    r.stats.bind_groups_created += 2;
    return l;
}

Pool* find_pool(State& s, const Texture& target) {
    const WGPUTextureFormat fmt = wgpuTextureGetFormat(target.handle());
    for (auto& p : s.pools)
        if (p.format == fmt && p.width == target.width() && p.height == target.height()) return &p;
    return nullptr;
}

// The pool of target with at least `levels` levels (made or grown as needed).
Result<Pool*> pool_of(Renderer::Impl& r, State& s, const Texture& target, uint32_t levels) {
    Pool* p = find_pool(s, target);
    if (!p) p = &s.pools.emplace_back(Pool{wgpuTextureGetFormat(target.handle()), target.width(), target.height(), {}});
    while (p->levels.size() < levels) {
        const uint32_t i = uint32_t(p->levels.size());
        auto l = make_level(r, p->format, std::max(p->width >> i, 1u), std::max(p->height >> i, 1u));
        if (!l) return std::unexpected(l.error());
        p->levels.push_back(std::move(*l));
    }
    return p;
}

// Region (target pixels) at level `level` of dst: scaled down, grown by 2 texels for the
// rounding of the level sizes, inside the level.
Box level_region(Box region, uint32_t level, const Level& dst) {
    const int32_t x0 = (region.x >> level) - 2, y0 = (region.y >> level) - 2;
    const int32_t x1 = ((region.x + region.width + (1 << level) - 1) >> level) + 2;
    const int32_t y1 = ((region.y + region.height + (1 << level) - 1) >> level) + 2;
    return intersect({x0, y0, x1 - x0, y1 - y0}, {0, 0, int32_t(dst.width), int32_t(dst.height)});
}

// One blur pass: a full-target quad into dst, sampling src (bilinear), instance `slot`, inside
// scissor (dst texels).
Result<void> encode_blur_pass(Renderer::Impl& r, const Frame::Impl& f, WGPUCommandEncoder enc, uint32_t kind,
                              const Level& src, const Level& dst, uint32_t slot, Box scissor) {
    auto pipe = pipeline(r, {wgpuTextureGetFormat(dst.texture.get()), Kind(kind), Blend::none});
    if (!pipe) return std::unexpected(pipe.error());
    WGPURenderPassColorAttachment color{};
    color.view = dst.view.get();
    color.depthSlice = WGPU_DEPTH_SLICE_UNDEFINED;
    color.loadOp = WGPULoadOp_Clear;
    color.storeOp = WGPUStoreOp_Store;
    WGPURenderPassDescriptor pd{};
    pd.label = wg::sv("wlgpu blur");
    pd.colorAttachmentCount = 1;
    pd.colorAttachments = &color;
    wg::RenderPassEncoder pass = wg::RenderPassEncoder::Acquire(wgpuCommandEncoderBeginRenderPass(enc, &pd));
    r.stats.render_passes++;
    wgpuRenderPassEncoderSetVertexBuffer(pass.get(), 0, r.instances.get(), 0, f.instances.size() * sizeof(Instance));
    wgpuRenderPassEncoderSetPipeline(pass.get(), *pipe);
    wgpuRenderPassEncoderSetBindGroup(pass.get(), 0, src.groups[size_t(Filter::bilinear)].get(), 0, nullptr);
    wgpuRenderPassEncoderSetScissorRect(pass.get(), uint32_t(scissor.x), uint32_t(scissor.y), uint32_t(scissor.width),
                                        uint32_t(scissor.height));
    wgpuRenderPassEncoderDraw(pass.get(), 4, 1, 0, slot);
    r.stats.draws++;
    wgpuRenderPassEncoderEnd(pass.get());
    return {};
}

}  // namespace

}  // namespace render::effects

struct BlurCache::Impl {
    bool dirty = true;
    uint64_t renderer_id = 0;
    uint32_t passes = 0;
    float radius = 0;
    WGPUTextureFormat format = WGPUTextureFormat_Undefined;
    std::optional<render::effects::Level> result;  // the kept blur, target-sized
    Box region;                                    // where result holds it (target pixels)
};

BlurCache::BlurCache() : impl_(std::make_shared<Impl>()) {}
BlurCache::~BlurCache() = default;
void BlurCache::invalidate() { impl_->dirty = true; }

namespace render::effects {

Result<WGPURenderPipeline> pipeline(Renderer::Impl& r, PipelineKey key) {
    auto s = state(r);
    if (!s) return std::unexpected(s.error());
    State& st = **s;
    if (auto it = st.pipelines.find(key); it != st.pipelines.end()) return it->second.get();
    const uint32_t kind = uint32_t(key.kind);
    WGPUShaderModule module = st.module.get();
    std::shared_ptr<Compiled> user;
    if (kind >= kUserFirst) {
        auto it = st.user.find(kind);
        if (it == st.user.end() || !(user = it->second.lock()))
            return fail(Errc::invalid_argument, "a user effect was destroyed before the frame that draws it");
        module = user->module.get();
    }
    wg::RenderPipeline pipe;
    auto ok = r.bridge->scoped([&] { pipe = make_pipeline(r, module, kind, key); }, "creating an effect pipeline");
    if (!ok) return std::unexpected(ok.error());
    r.stats.pipelines_created++;
    WGPURenderPipeline raw = pipe.get();
    st.pipelines.emplace(key, std::move(pipe));
    return raw;
}

Result<void> encode_snapshot(Renderer::Impl& r, const Frame::Impl& f, const Cmd& snapshot, WGPUCommandEncoder enc) {
    State& st = *static_cast<State*>(r.effects.get());  // made when the snapshot was recorded
    const Pool* p = find_pool(st, *f.target);
    if (!p || p->levels.size() < snapshot.count + 1)
        return fail(Errc::invalid_argument, "an effect's textures are missing at submit");
    // Only the snapshot's region (a blur: what its box needs; a post-process: the whole target)
    // is copied and blurred; the levels hold stale texels outside it, which the region's margin
    // keeps out of the box (blur_region).
    const Box region = intersect(snapshot.scissor, {0, 0, int32_t(p->width), int32_t(p->height)});
    if (region.empty()) return {};
    WGPUTexelCopyTextureInfo src{}, dst{};
    src.texture = f.target->handle();
    src.aspect = dst.aspect = WGPUTextureAspect_All;
    src.origin = dst.origin = {uint32_t(region.x), uint32_t(region.y), 0};
    dst.texture = p->levels[0].texture.get();
    WGPUExtent3D size{uint32_t(region.width), uint32_t(region.height), 1};
    wgpuCommandEncoderCopyTextureToTexture(enc, &src, &dst, &size);
    const uint32_t n = snapshot.count;  // blur passes: n down, then n up
    for (uint32_t i = 0; i < n; i++)
        if (auto ok = encode_blur_pass(r, f, enc, kBlurDown, p->levels[i], p->levels[i + 1], snapshot.first + i,
                                       level_region(region, i + 1, p->levels[i + 1]));
            !ok)
            return ok;
    for (uint32_t i = n; i-- > 0;)
        if (auto ok = encode_blur_pass(r, f, enc, kBlurUp, p->levels[i + 1], p->levels[i], snapshot.first + 2 * n - 1 - i,
                                       level_region(region, i, p->levels[i]));
            !ok)
            return ok;
    if (snapshot.keep_result) {  // a cached blur keeps its result
        const auto& kept = *static_cast<const BlurCache::Impl*>(snapshot.keep_result)->result;
        src.texture = p->levels[0].texture.get();
        dst.texture = kept.texture.get();
        wgpuCommandEncoderCopyTextureToTexture(enc, &src, &dst, &size);
    }
    return {};
}

}  // namespace render::effects

using render::effects::EffectInstance;
using render::effects::kSlots;

struct Effect::Impl {
    std::shared_ptr<render::effects::Compiled> compiled;
};

Effect::Effect(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Effect::~Effect() = default;
const std::string& Effect::name() const { return impl_->compiled->name; }

Result<std::shared_ptr<Effect>> Renderer::create_effect(std::string_view wgsl, std::string_view name) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    Renderer::Impl& r = *impl_;
    auto s = render::effects::state(r);
    if (!s) return std::unexpected(s.error());
    const uint64_t id = render::effects::g_next_effect_id++;
    if (id >= (1u << 16)) return fail(Errc::unsupported, "create_effect: too many effects were created");
    auto c = std::make_shared<render::effects::Compiled>();
    c->renderer_id = r.id;
    c->kind = render::effects::kUserFirst + uint32_t(id);
    c->name = std::string(name);
    // The user's source first, so that Dawn's line:column point into it.
    const std::string code = std::string(wgsl) + "\n" + render::effects::kEffectsWgsl + render::kTexelFlagsWgsl +
                             render::effects::kUserFragWgsl;
    auto ok = r.bridge->scoped(
        [&] {
            c->module = render::effects::make_module(r.bridge->device(), code, c->name);
            // A pipeline too, so that every error shows here and not in a frame.
            (void)render::effects::make_pipeline(r, c->module.get(), c->kind,
                                                 {WGPUTextureFormat_BGRA8Unorm, render::Kind(c->kind), Blend::none});
        },
        std::format("compiling the WGSL effect '{}'", c->name));
    if (!ok) return fail(r.bridge->lost() ? Errc::device_lost : Errc::invalid_argument, "{}", ok.error().message);
    c->state = std::static_pointer_cast<render::effects::State>(r.effects);
    (*s)->user[c->kind] = c;
    auto impl = std::make_unique<Effect::Impl>();
    impl->compiled = std::move(c);
    return std::shared_ptr<Effect>(new Effect(std::move(impl)));
}

namespace {

using render::Kind;

// Radii clamped to [0, min(w, h) / 2] of box, in the shader's order.
void set_radii(float out[4], const CornerRadii& c, Box box) {
    const float m = 0.5f * float(std::min(box.width, box.height));
    const float r[4] = {c.top_left, c.top_right, c.bottom_right, c.bottom_left};
    for (int i = 0; i < 4; i++) out[i] = std::clamp(r[i], 0.0f, m);
}

void set_color(float out[4], Color c) { out[0] = c.r, out[1] = c.g, out[2] = c.b, out[3] = c.a; }

void set_hole(EffectInstance& e, const RoundedBox& hole) {
    const Box b = hole.box;
    if (b.empty()) return;
    e.hole[0] = float(b.x), e.hole[1] = float(b.y), e.hole[2] = float(b.width), e.hole[3] = float(b.height);
    set_radii(e.hole_radii, hole.corners, b);
}

EffectInstance shape_instance(const Texture& target, Box quad, Box box, const CornerRadii& c) {
    EffectInstance e{};
    render::set_rect(e.rect, quad, target.width(), target.height());
    e.box[0] = float(box.x), e.box[1] = float(box.y), e.box[2] = float(box.width), e.box[3] = float(box.height);
    set_radii(e.radii, c, box);
    return e;
}

EffectInstance texture_instance(const Texture& target, const render::Instance& in, Box dst, const CornerRadii& c) {
    EffectInstance e = shape_instance(target, dst, dst, c);
    std::copy_n(in.rect, 4, e.rect);
    e.uv_a[0] = in.uv0[0], e.uv_a[1] = in.uv0[1], e.uv_a[2] = in.uv_s[0], e.uv_a[3] = in.uv_s[1];
    e.uv_b[0] = in.uv_t[0], e.uv_b[1] = in.uv_t[1], e.uv_b[2] = in.alpha, e.uv_b[3] = in.flags;
    return e;
}

void set_params(EffectInstance& e, const EffectParams& p) {
    std::memcpy(e.data, p.user, sizeof(p.user));
    e.extra[0] = p.time;
}

// The effect-instance index the next effect instance gets (kSlots aligned Instance slots).
uint32_t next_slot(const Frame::Impl& f) { return uint32_t((f.instances.size() + kSlots - 1) / kSlots); }

void append(Frame::Impl& f, const EffectInstance& e) {
    const size_t at = size_t(next_slot(f)) * kSlots;
    f.instances.resize(at + kSlots);
    std::memcpy(&f.instances[at], &e, sizeof(e));
}

// Records an effect draw.
void push_effect(Frame::Impl& f, uint32_t kind, Blend blend, WGPUBindGroup bg, Box quad, const Clip& clip,
                 const EffectInstance& e) {
    if (f.add_cmds({f.target->format().texture, Kind(kind), blend}, bg, quad, clip, next_slot(f))) append(f, e);
}

// A full-target quad sampling a texture 1:1 (uv 0..1 over the target).
EffectInstance full_target(const Texture& target) {
    const Box all{0, 0, int32_t(target.width()), int32_t(target.height())};
    EffectInstance e = shape_instance(target, all, all, {});
    e.uv_a[2] = 1, e.uv_b[1] = 1, e.uv_b[2] = 1;  // alpha 1, no flags
    return e;
}

// Ends the pass drawn so far (a pending clear included), copies the target into its pool's
// snapshot and runs `passes` blur passes (instances from `first`) over it; a cached blur's
// result is then copied into its cache.
void push_snapshot(Frame::Impl& f, uint32_t first, uint32_t passes, Box region, const BlurCache::Impl* cache = nullptr) {
    f.cmds.push_back(
        {{f.target->format().texture, Kind::snapshot, Blend::none}, nullptr, region, false, first, passes, cache});
}

// The part of the target a blur of box needs: box grown by how far the passes carry texels
// inward (a down pass from level i reaches radius/2 + 1.5 texels of level i, an up pass into
// level i radius + 1.5 texels of level i + 1: 2^passes (2.5 radius + 4.5) pixels over all of
// them), inside the target. Outside it the levels are not computed.
Box blur_region(const Texture& target, Box box, uint32_t passes, float radius) {
    const int32_t margin = int32_t(std::ceil(float(1u << passes) * (2.5f * radius + 4.5f))) + 2;
    const Box grown{box.x - margin, box.y - margin, box.width + 2 * margin, box.height + 2 * margin};
    return intersect(grown, {0, 0, int32_t(target.width()), int32_t(target.height())});
}

// The pool of the frame's target with `levels` levels, for a call named what.
Result<render::effects::Pool*> frame_pool(Frame::Impl& f, uint32_t levels, const char* what) {
    if (!(f.target->usage() & WGPUTextureUsage_CopySrc))
        return fail(Errc::invalid_argument, "{}: the {} {}x{} target has no copy-source usage", what,
                    f.target->format().name, f.target->width(), f.target->height());
    auto s = render::effects::state(*f.r);
    if (!s) return std::unexpected(s.error());
    return render::effects::pool_of(*f.r, **s, *f.target, levels);
}

Result<render::effects::Compiled*> user_effect(Frame::Impl& f, const Effect& effect, const char* what) {
    auto& c = const_cast<Effect&>(effect).impl().compiled;
    if (c->renderer_id != f.r->id)
        return fail(Errc::invalid_argument, "{}: the effect '{}' belongs to another renderer", what, c->name);
    f.keep.push_back(c);
    return c.get();
}

// A textured effect draw (rounded or user effect) of d.
Result<void> draw_textured(Frame::Impl& f, const TextureDraw& d, const CornerRadii& corners, uint32_t kind,
                           const EffectParams* params, const char* what) {
    Frame::Impl::TexturePrep p;
    auto ok = f.prepare_texture(d, what, p);
    if (!ok || !*ok) return ok ? Result<void>{} : std::unexpected(ok.error());
    if (p.yuv) return fail(Errc::unsupported, "{}: effects on YUV textures are not supported yet", what);
    EffectInstance e = texture_instance(*f.target, p.instance, d.dst, corners);
    if (params) set_params(e, *params);
    // Corners make edge pixels translucent: they blend even where the draw asked for none.
    push_effect(f, kind, corners.any() ? Blend::premultiplied : d.blend, p.bind_group, d.dst, d.clip, e);
    return {};
}

}  // namespace

// Recording an effect calls no Dawn function that can start a thread, except where the effects'
// state, a pooled texture or a texture's bind group is made (state(), make_level,
// Renderer::Impl::bind_group), which block signals themselves. So, as draw_texture, the
// draws do not block them per call: that was two system calls a draw (64 one-draw shadowed
// windows: 58 -> 35 us of recording on lavapipe).
Result<void> Frame::draw_rounded_texture(const TextureDraw& d, const CornerRadii& corners) {
    return draw_textured(*impl_, d, corners, render::effects::kTexture, nullptr, "draw_rounded_texture");
}

Result<void> Frame::draw_rounded_texture(const TextureDraw& d, const CornerRadii& corners, const ShadowDraw& shadow) {
    auto& f = *impl_;
    const char* what = "draw_rounded_texture (with a shadow)";
    if (f.submitted) return fail(Errc::invalid_argument, "{}: the frame was already submitted", what);
    if (shadow.box.empty() || !(shadow.sigma > 0)) {  // nothing to blur: two draws, as documented
        if (auto ok = draw_shadow(shadow); !ok) return ok;
        return draw_rounded_texture(d, corners);
    }
    if (shadow.sigma > 1e4f) return fail(Errc::invalid_argument, "{}: sigma {} is too large", what, shadow.sigma);
    if (shadow.clip) return fail(Errc::invalid_argument, "{}: the shadow's clip must be unset (draw.clip applies to both)", what);
    Frame::Impl::TexturePrep p;
    auto ok = f.prepare_texture(d, what, p);
    if (!ok) return std::unexpected(ok.error());
    if (!*ok) return draw_shadow({shadow.box, shadow.corners, shadow.color, shadow.sigma, d.clip, shadow.hole});
    if (p.yuv) return fail(Errc::unsupported, "{}: effects on YUV textures are not supported yet", what);
    // One quad over the window and its shadow (grown by 3 sigma); the texture's uv mapping is
    // extended from dst to that quad.
    const Box sq = shadow_extent(shadow);
    const int32_t x0 = std::min(sq.x, d.dst.x), y0 = std::min(sq.y, d.dst.y);
    const int32_t x1 = std::max(sq.x + sq.width, d.dst.x + d.dst.width);
    const int32_t y1 = std::max(sq.y + sq.height, d.dst.y + d.dst.height);
    const Box quad{x0, y0, x1 - x0, y1 - y0};
    EffectInstance e = texture_instance(*f.target, p.instance, d.dst, corners);
    render::set_rect(e.rect, quad, f.target->width(), f.target->height());
    const float fx = float(quad.x - d.dst.x) / float(d.dst.width), fy = float(quad.y - d.dst.y) / float(d.dst.height);
    const float sx = float(quad.width) / float(d.dst.width), sy = float(quad.height) / float(d.dst.height);
    const float us[2] = {e.uv_a[2], e.uv_a[3]}, ut[2] = {e.uv_b[0], e.uv_b[1]};
    e.uv_a[0] += us[0] * fx + ut[0] * fy, e.uv_a[1] += us[1] * fx + ut[1] * fy;
    e.uv_a[2] = us[0] * sx, e.uv_a[3] = us[1] * sx;
    e.uv_b[0] = ut[0] * sy, e.uv_b[1] = ut[1] * sy;
    e.extra[1] = shadow.sigma;
    set_color(e.data[0], shadow.color);
    const Box& b = shadow.box;
    e.data[1][0] = float(b.x), e.data[1][1] = float(b.y), e.data[1][2] = float(b.width), e.data[1][3] = float(b.height);
    set_radii(e.data[2], shadow.corners, b);
    set_hole(e, shadow.hole);
    push_effect(f, render::effects::kShadowedTexture, Blend::premultiplied, p.bind_group, quad, d.clip, e);
    return {};
}

Result<void> Frame::draw_texture_effect(const TextureDraw& d, const Effect& effect, const EffectParams& params,
                                        const CornerRadii& corners) {
    auto c = user_effect(*impl_, effect, "draw_texture_effect");
    if (!c) return std::unexpected(c.error());
    return draw_textured(*impl_, d, corners, (*c)->kind, &params, "draw_texture_effect");
}

Result<void> Frame::draw_shape(const ShapeDraw& d) {
    auto& f = *impl_;
    if (f.submitted) return fail(Errc::invalid_argument, "draw_shape: the frame was already submitted");
    if (d.box.empty()) return {};
    if (uint32_t(d.fill.kind) > uint32_t(Fill::Kind::conic))
        return fail(Errc::invalid_argument, "draw_shape: fill kind {} is not a Fill::Kind", uint32_t(d.fill.kind));
    EffectInstance e = shape_instance(*f.target, d.box, d.box, d.corners);
    set_hole(e, d.hole);
    set_color(e.data[0], d.fill.from);
    set_color(e.data[1], d.fill.to);
    const bool conic = d.fill.kind == Fill::Kind::conic;
    e.data[2][0] = d.fill.start_x, e.data[2][1] = d.fill.start_y;
    e.data[2][2] = conic ? d.fill.angle : d.fill.end_x, e.data[2][3] = d.fill.end_y;
    push_effect(f, render::effects::kSolid + uint32_t(d.fill.kind), Blend::premultiplied, nullptr, d.box, d.clip, e);
    return {};
}

Box shadow_extent(const ShadowDraw& d) {
    const int32_t grow = d.sigma > 0 ? int32_t(std::ceil(3.0f * d.sigma)) : 0;
    return {d.box.x - grow, d.box.y - grow, d.box.width + 2 * grow, d.box.height + 2 * grow};
}

Result<void> Frame::draw_shadow(const ShadowDraw& d) {
    auto& f = *impl_;
    if (f.submitted) return fail(Errc::invalid_argument, "draw_shadow: the frame was already submitted");
    if (d.box.empty()) return {};
    if (!(d.sigma > 0)) return draw_shape({d.box, d.corners, Fill::solid(d.color), d.clip, d.hole});
    if (d.sigma > 1e4f) return fail(Errc::invalid_argument, "draw_shadow: sigma {} is too large", d.sigma);
    const Box quad = shadow_extent(d);
    EffectInstance e = shape_instance(*f.target, quad, d.box, d.corners);
    e.extra[1] = d.sigma;
    set_hole(e, d.hole);
    set_color(e.data[0], d.color);
    // A hole (the window over its shadow) is not rasterised: the draw is the frame between the
    // quad and the hole inset by its largest radius + 1, where the shadow is exactly 0 (every
    // pixel centre there lies over 1.5 px inside the hole's edges and corner circles).
    const Box& h = d.hole.box;
    const auto& hc = d.hole.corners;
    const int32_t in = int32_t(std::ceil(std::max({hc.top_left, hc.top_right, hc.bottom_right, hc.bottom_left, 0.0f}))) + 1;
    const Box inner = h.empty() ? Box{} : intersect({h.x + in, h.y + in, h.width - 2 * in, h.height - 2 * in}, quad);
    uint32_t kind = render::effects::kShadow;
    if (!inner.empty()) {
        kind = render::effects::kShadowRing;
        render::set_rect(e.uv_a, inner, f.target->width(), f.target->height());
    }
    push_effect(f, kind, Blend::premultiplied, nullptr, quad, d.clip, e);
    return {};
}

Result<void> Frame::apply_effect(const Effect& effect, const EffectParams& params, Clip clip) {
    auto& f = *impl_;
    if (f.submitted) return fail(Errc::invalid_argument, "apply_effect: the frame was already submitted");
    auto p = frame_pool(f, 1, "apply_effect");
    if (!p) return std::unexpected(p.error());
    auto c = user_effect(f, effect, "apply_effect");
    if (!c) return std::unexpected(c.error());
    push_snapshot(f, 0, 0, {0, 0, int32_t(f.target->width()), int32_t(f.target->height())});
    EffectInstance e = full_target(*f.target);
    set_params(e, params);
    const Box all{0, 0, int32_t(f.target->width()), int32_t(f.target->height())};
    push_effect(f, (*c)->kind, Blend::none, (*p)->levels[0].groups[size_t(Filter::nearest)].get(), all, clip, e);
    return {};
}

namespace {

Result<void> check_blur(const Frame::Impl& f, const BlurDraw& d) {
    if (f.submitted) return fail(Errc::invalid_argument, "draw_backdrop_blur: the frame was already submitted");
    if (d.passes < 1 || d.passes > render::effects::kMaxBlurPasses)
        return fail(Errc::invalid_argument, "draw_backdrop_blur: passes {} is not in 1..{}", d.passes,
                    render::effects::kMaxBlurPasses);
    if (!(d.radius >= 0 && d.radius <= 64))
        return fail(Errc::invalid_argument, "draw_backdrop_blur: radius {} is not in 0..64", d.radius);
    return {};
}

// Records the blur passes of d over what f drew so far (the result in the pool's level 0, and
// in cache's texture where given).
Result<render::effects::Pool*> record_blur(Frame::Impl& f, const BlurDraw& d, const BlurCache::Impl* cache) {
    auto p = frame_pool(f, d.passes + 1, "draw_backdrop_blur");
    if (!p) return std::unexpected(p.error());
    const auto& levels = (*p)->levels;
    // The passes' instances: n down (from level i), then n up (from level i + 1, i = n-1 .. 0).
    const uint32_t first = next_slot(f);
    for (uint32_t k = 0; k < 2 * d.passes; k++) {
        const auto& src = levels[k < d.passes ? k : 2 * d.passes - k];
        EffectInstance e = full_target(*f.target);
        e.data[0][0] = 0.5f / float(src.width), e.data[0][1] = 0.5f / float(src.height), e.data[0][2] = d.radius;
        append(f, e);
    }
    push_snapshot(f, first, d.passes, blur_region(*f.target, d.box, d.passes, d.radius), cache);
    return p;
}

// The blurred texture (bind group: NEAREST) into d.box, adjusted, rounded and clipped.
void push_blur_composite(Frame::Impl& f, const BlurDraw& d, WGPUBindGroup blurred) {
    EffectInstance e = shape_instance(*f.target, d.box, d.box, d.corners);
    const float tw = float(f.target->width()), th = float(f.target->height());
    e.uv_a[0] = float(d.box.x) / tw, e.uv_a[1] = float(d.box.y) / th;
    e.uv_a[2] = float(d.box.width) / tw, e.uv_b[1] = float(d.box.height) / th, e.uv_b[2] = 1;
    e.data[0][0] = d.brightness, e.data[0][1] = d.contrast, e.data[0][2] = d.saturation, e.data[0][3] = d.noise;
    // No adjustments: the shader without the colour maths (a cached panel's steady-state cost).
    const bool plain = d.brightness == 1 && d.contrast == 1 && d.saturation == 1 && d.noise == 0;
    const uint32_t kind = plain ? render::effects::kBlurCompositePlain : render::effects::kBlurComposite;
    push_effect(f, kind, Blend::premultiplied, blurred, d.box, d.clip, e);
}

bool visible(const Frame::Impl& f, Box b) {
    return !intersect(b, {0, 0, int32_t(f.target->width()), int32_t(f.target->height())}).empty();
}

}  // namespace

Result<void> Frame::draw_backdrop_blur(const BlurDraw& d) {
    auto& f = *impl_;
    if (auto ok = check_blur(f, d); !ok) return ok;
    if (!visible(f, d.box)) return {};
    auto p = record_blur(f, d, nullptr);
    if (!p) return std::unexpected(p.error());
    push_blur_composite(f, d, (*p)->levels[0].groups[size_t(Filter::nearest)].get());
    return {};
}

Result<void> Frame::draw_backdrop_blur(const BlurDraw& d, BlurCache& cache) {
    auto& f = *impl_;
    if (auto ok = check_blur(f, d); !ok) return ok;
    if (!visible(f, d.box)) return {};
    auto& c = *cache.impl();
    f.keep.push_back(cache.impl());  // its texture is written at submit
    const WGPUTextureFormat fmt = wgpuTextureGetFormat(f.target->handle());
    const bool same_target = c.result && c.format == fmt && c.result->width == f.target->width() &&
                             c.result->height == f.target->height() && c.renderer_id == f.r->id;
    if (!same_target) {
        auto l = render::effects::make_level(*f.r, fmt, f.target->width(), f.target->height());
        if (!l) return std::unexpected(l.error());
        c.result = std::move(*l);
        c.format = fmt, c.renderer_id = f.r->id;
    }
    const Box needed = blur_region(*f.target, d.box, d.passes, d.radius);
    if (c.dirty || !same_target || c.passes != d.passes || c.radius != d.radius ||
        !(intersect(c.region, needed) == needed)) {
        auto p = record_blur(f, d, &c);
        if (!p) return std::unexpected(p.error());
        c.dirty = false, c.passes = d.passes, c.radius = d.radius, c.region = needed;
    }
    // The bind group stays alive until submit, even if the cache is re-made for another size.
    f.refs.push_back(wg::BindGroup(c.result->groups[size_t(Filter::nearest)].get()));
    push_blur_composite(f, d, c.result->groups[size_t(Filter::nearest)].get());
    return {};
}

}  // namespace wlgpu
