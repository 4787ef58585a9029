// The renderer: frames of textured quads and solid rects into a wlgpu Texture, in
// the spirit of Smithay's Frame. One render pass per frame; draws are batched.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wlgpu/error.hpp"
#include "wlgpu/texture.hpp"
#include "wlgpu/types.hpp"

namespace wlgpu {

class Bridge;

struct TextureDraw {
    const Texture* texture = nullptr;
    FBox src;                      // in texture pixels (before transform); empty = whole texture
    Box dst;                       // in target pixels
    Transform transform = Transform::normal;  // applied to the texture, as wlroots does
    float alpha = 1.0f;
    Filter filter = Filter::bilinear;
    Blend blend = Blend::premultiplied;
    Clip clip = std::nullopt;
};

struct RectDraw {
    Box box;
    Color color;                   // premultiplied
    Blend blend = Blend::premultiplied;
    Clip clip = std::nullopt;
};

// Counters that tests and benchmarks read (steady state must not allocate per draw).
struct RenderStats {
    // render_passes: a frame has one per effect snapshot plus one, or none when every draw became
    // a copy (copied_draws) and it neither clears nor carries timer timestamps.
    uint64_t frames = 0, render_passes = 0, draws = 0, scissored_draws = 0;
    uint64_t buffers_created = 0, bind_groups_created = 0, pipelines_created = 0;
    uint64_t textures_created = 0;  // effects' pooled intermediate textures (src/render/effects*)
    // Bytes of draw instances written to the GPU: a frame writes only the instances that differ
    // from what the instance buffer already holds (an unchanged frame writes none).
    uint64_t instance_bytes_written = 0;
    // Boxes of texture draws done as copies before the render pass (exact pixel copies:
    // src/render/blit.hpp), not drawn.
    uint64_t copied_draws = 0;
    // On CPU adapters (lavapipe): boxes of opaque fills (draw_rect with Blend::none, or alpha 1)
    // done as copies from the renderer's fill buffer before the render pass, not drawn (not in
    // copied_draws), and the bytes written into that buffer (only for a colour that two
    // consecutive frames fill with: src/render/blit.hpp).
    uint64_t filled_rects = 0, fill_bytes_written = 0;
    // A frame of one render pass whose commands (pipelines, bind groups, instance ranges, one
    // scissor) repeat the previous frame's is recorded once into a render bundle (on its second
    // frame) and replayed while they stay the same; draws above counts the bundle's draw calls.
    uint64_t bundles_recorded = 0, bundles_replayed = 0;
    // Small textures that stay unchanged are drawn from an atlas (one texture per format, so
    // that their draws share a bind group: src/render/atlas.hpp): the copies of textures into
    // it, and the times a full atlas was started afresh.
    uint64_t atlas_copies = 0, atlas_resets = 0;
    // Frames composited in a compute pass instead of a render pass (RendererOptions::composite),
    // and their dispatches (one per clear and per draw within each scissor box).
    uint64_t compute_passes = 0, compute_dispatches = 0;
};

// ---- Effects (src/render/effects*.cpp, docs/effects.md) ----

// Per-corner radius in target pixels; each is clamped to [0, min(width, height) / 2] of its box.
// The edge is anti-aliased: a pixel is covered by clamp(0.5 - d, 0, 1), d the signed distance
// from its centre to the rounded box (negative inside).
struct CornerRadii {
    float top_left = 0, top_right = 0, bottom_right = 0, bottom_left = 0;
    static CornerRadii all(float r) { return {r, r, r, r}; }
    bool any() const { return top_left > 0 || top_right > 0 || bottom_right > 0 || bottom_left > 0; }
};

// How a shape is filled: a colour, or a two-stop gradient between from and to (premultiplied;
// the gradient interpolates premultiplied values). Points are in target pixels.
//   linear  t = the projection of the pixel centre on start -> end, clamped to [0, 1];
//   conic   t = the angle of the pixel centre around start, clockwise (y down) from `angle`
//           radians off the +x axis, over one turn: [0, 1).
struct Fill {
    enum class Kind : uint32_t { solid, linear, conic };
    Kind kind = Kind::solid;
    Color from;                        // solid: the colour
    Color to;
    float start_x = 0, start_y = 0;    // linear: start point; conic: centre
    float end_x = 0, end_y = 0;        // linear: end point
    float angle = 0;                   // conic
    static Fill solid(Color c) { return {Kind::solid, c, {}, 0, 0, 0, 0, 0}; }
    static Fill linear(Color from, Color to, float x0, float y0, float x1, float y1) {
        return {Kind::linear, from, to, x0, y0, x1, y1, 0};
    }
    static Fill conic(Color from, Color to, float cx, float cy, float angle) {
        return {Kind::conic, from, to, cx, cy, 0, 0, angle};
    }
};

// A box with rounded corners (a hole: nothing is drawn inside it; empty box: no hole).
struct RoundedBox {
    Box box;
    CornerRadii corners = {};
};

// A rect with rounded corners, filled with a colour or a gradient, blended premultiplied;
// nothing is drawn inside the rounded box hole (anti-aliased the same way; empty: no hole).
struct ShapeDraw {
    Box box;
    CornerRadii corners;
    Fill fill;
    Clip clip = std::nullopt;
    RoundedBox hole = {};
};

// A box shadow: the rounded box (box, corners) filled with colour and blurred with a Gaussian
// of standard deviation sigma (target pixels), drawn over the box grown by 3 sigma each way.
// sigma <= 0 draws the sharp rounded box. hole: as ShapeDraw's (e.g. the window itself, so that a
// translucent window does not show its own shadow, as scenefx's clipped region does).
struct ShadowDraw {
    Box box;
    CornerRadii corners;
    Color color;                       // premultiplied
    float sigma = 0;
    Clip clip = std::nullopt;
    RoundedBox hole = {};
};

// What a shadow can cover: its box grown by ceil(3 sigma) each way (sigma <= 0: the box).
Box shadow_extent(const ShadowDraw& d);

// Backdrop blur: what the frame has drawn so far, blurred with dual Kawase (passes down to
// 1/2^passes of the target's size and back up, sample offsets of radius texels of each level),
// colour-adjusted, then drawn back into box (rounded by corners, inside clip), premultiplied
// OVER. Adjustments, on the premultiplied colour c (alpha a): rgb *= brightness; rgb = (rgb -
// a/2) * contrast + a/2; rgb = mix(luma(rgb), rgb, saturation) (Rec. 709 luma); rgb += (n - 0.5) *
// noise * a, n a hash of the pixel's position in [0, 1]; rgb clamped to [0, a].
// The intermediate textures are pooled per target format and size (made once).
struct BlurDraw {
    Box box;
    CornerRadii corners;
    uint32_t passes = 3;               // 1..8
    float radius = 1.0f;               // the sample offset, in texels of each level
    float noise = 0, brightness = 1, contrast = 1, saturation = 1;
    Clip clip = std::nullopt;
};

// A backdrop blur kept between frames (scenefx's "optimized" blur): draw_backdrop_blur with a
// cache blurs again only after invalidate() (what lies under the region changed), when the
// passes, radius, target format or size change, or on first use; otherwise it draws the kept
// result, with no extra pass. The colour adjustments, box, corners and clip apply every frame.
// One cache per blurred background (e.g. per output); its texture is made once per size.
class BlurCache {
public:
    BlurCache();
    ~BlurCache();
    void invalidate();
    struct Impl;
    const std::shared_ptr<Impl>& impl() { return impl_; }

private:
    std::shared_ptr<Impl> impl_;
};

// A user WGSL effect, compiled once by Renderer::create_effect. The WGSL source must define
//   fn effect(texel: vec4f, pos: vec2f, user: array<vec4f, 8>, time: f32) -> vec4f
// texel: the input (premultiplied); pos: the pixel centre in target pixels; user: the draw's
// EffectParams::user; time: EffectParams::time. It returns the premultiplied output.
class Effect {
public:
    ~Effect();
    const std::string& name() const;
    struct Impl;
    Impl& impl() { return *impl_; }

private:
    friend class Renderer;
    explicit Effect(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

struct EffectParams {
    float user[32] = {};               // the WGSL `user` block: user[i / 4][i % 4]
    float time = 0;                    // seconds, as the compositor counts them
};

class Frame;

// A GPU timer: the duration of one frame's GPU work when timestamp queries exist.
class RenderTimer {
public:
    virtual ~RenderTimer() = default;
    // Nanoseconds, or an error (unsupported / not finished yet).
    virtual Result<uint64_t> duration_ns() = 0;
};

enum class Composite { automatic, raster, compute };

struct RendererOptions {
    // Textures that stay unchanged, made by Texture::create or from_pixels, not render targets,
    // at most a quarter of atlas_max_size a side (1024), are copied once into an atlas, one
    // texture per format, and drawn from there: many of them share one bind group and draw
    // call (src/render/atlas.hpp). The atlas is made on first use at half atlas_max_size
    // (2048x2048, 16 MiB at 4 bytes a texel) and doubles once when it fills up (64 MiB at
    // most), within the device's maxTextureDimension2D. Off: every texture is drawn from itself.
    bool atlas = true;
    uint32_t atlas_max_size = 4096;
    // How frames are composited. raster: a render pass (the render pipelines). compute: where a
    // frame holds only texture and rect draws and clears into an 8-bit RGBA/BGRA target that can
    // be copied to and from, a compute pass writes them (src/render/compute.hpp); other frames
    // still use the render pass. automatic (the default): the faster of the two on this device,
    // measured once per device when the first renderer is created (a few ms; a CPU adapter takes
    // raster unmeasured): GPUs with few raster units (NVIDIA H100/H200) take compute
    // (src/render/composite_choice.hpp, docs/perf.md). Renderer::composite() says which. The
    // environment variable WLGPU_COMPOSITE=compute, =raster or =auto overrides this (for
    // compositors that do not set it, e.g. through the wlroots adapter).
    Composite composite = Composite::automatic;
};

class Renderer {
public:
    static Result<std::unique_ptr<Renderer>> create(Bridge& bridge, RendererOptions options = {});
    ~Renderer();

    // Starts a frame that renders into target (which needs TextureUsage::render).
    Result<Frame> begin(Texture& target, RenderTimer* timer = nullptr);
    std::unique_ptr<RenderTimer> create_timer();
    // Compiles a user WGSL effect (see Effect). Invalid WGSL gives Errc::invalid_argument with
    // Dawn's compilation messages (":line:column error: ..."); the device stays usable.
    Result<std::shared_ptr<Effect>> create_effect(std::string_view wgsl, std::string_view name = "user effect");

    const RenderStats& stats() const;
    Bridge& bridge() const;
    // How this renderer composites (RendererOptions::composite resolved: raster or compute).
    Composite composite() const;

    struct Impl;
    Impl& impl() { return *impl_; }

private:
    explicit Renderer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// What a submitted frame's completion is, as a value (Smithay's Frame::finish() -> SyncPoint):
//   signalled  nothing to wait for on the target (its access ended with no pending fence);
//   fence      a sync_file that signals when the frame's GPU work on its target is done (the
//              target's end-of-access fence; owned here, closed with the SyncPoint);
//   work_done  no fence: the target is not shared memory that exports one (a plain texture, a
//              device without SyncFD fences); the frame is done when the queue's work
//              submitted so far is (wgpuQueueOnSubmittedWorkDone).
// Explicit sync signals release points from it (sync::ExplicitSync::release).
class SyncPoint {
public:
    enum class Kind { signalled, fence, work_done };
    SyncPoint() = default;  // work_done
    static SyncPoint signalled() { return SyncPoint(Kind::signalled, -1); }
    static SyncPoint from_fence(int fd) { return fd < 0 ? signalled() : SyncPoint(Kind::fence, fd); }  // owns fd
    SyncPoint(SyncPoint&& o) noexcept : kind_(o.kind_), fd_(o.take_fence()) {}
    SyncPoint& operator=(SyncPoint&& o) noexcept;
    SyncPoint(const SyncPoint&) = delete;
    SyncPoint& operator=(const SyncPoint&) = delete;
    ~SyncPoint();

    Kind kind() const { return kind_; }
    int fence() const { return fd_; }  // fence: the sync_file; else -1
    int take_fence() {  // the caller owns the sync_file (-1 if none)
        int f = fd_;
        fd_ = -1;
        return f;
    }

private:
    SyncPoint(Kind k, int fd) : kind_(k), fd_(fd) {}
    Kind kind_ = Kind::work_done;
    int fd_ = -1;
};

class Frame {
public:
    Frame(Frame&&) noexcept;
    Frame& operator=(Frame&&) noexcept;
    ~Frame();  // a frame that was never submitted is dropped (nothing is rendered)

    void clear(Color color, Clip clip = std::nullopt);
    Result<void> draw_texture(const TextureDraw& draw);
    Result<void> draw_rect(const RectDraw& draw);
    // Effects (docs/effects.md).
    // A texture draw with rounded corners (radii relative to draw.dst).
    Result<void> draw_rounded_texture(const TextureDraw& draw, const CornerRadii& corners);
    // The same over its shadow, in one draw (a window with its shadow): the pixels of
    // draw_shadow(shadow) then draw_rounded_texture(draw, corners), for a fraction of the CPU cost.
    // draw.clip applies to both (shadow.clip must be unset); shadow.hole applies to the shadow.
    Result<void> draw_rounded_texture(const TextureDraw& draw, const CornerRadii& corners, const ShadowDraw& shadow);
    Result<void> draw_shape(const ShapeDraw& draw);
    Result<void> draw_shadow(const ShadowDraw& draw);
    Result<void> draw_backdrop_blur(const BlurDraw& draw);
    Result<void> draw_backdrop_blur(const BlurDraw& draw, BlurCache& cache);
    // A texture draw whose texels go through a user effect (then corners, then alpha).
    Result<void> draw_texture_effect(const TextureDraw& draw, const Effect& effect, const EffectParams& params,
                                     const CornerRadii& corners = {});
    // Post-process: what the frame has drawn so far is run through the effect and replaces
    // itself, inside clip (nullopt: the whole target). The target needs copy-source usage
    // (every wlgpu texture and imported buffer has it).
    Result<void> apply_effect(const Effect& effect, const EffectParams& params, Clip clip = std::nullopt);
    // Records the one render pass and submits it; returns what the frame's completion is.
    Result<SyncPoint> submit();
    // The same, and in the same command buffer (one submit) the copy of read_back.boxes of the
    // target into read_back's memory (Texture::read_back_to_memory's contract); waits until the
    // pixels are there. An error of the read-back is returned after the frame was submitted.
    Result<SyncPoint> submit(const MemoryTarget& read_back);

    struct Impl;

private:
    friend class Renderer;
    explicit Frame(std::unique_ptr<Impl> impl);
    Result<SyncPoint> submit_impl(const MemoryTarget* read_back);
    std::unique_ptr<Impl> impl_;
};

}  // namespace wlgpu
