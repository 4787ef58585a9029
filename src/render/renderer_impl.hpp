// Internal state of the renderer, shared by renderer.cpp, frame.cpp, pipelines.cpp, timer.cpp.
#pragma once

#include <string>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <tuple>
#include <vector>

#include "wlgpu/bridge.hpp"
#include "wlgpu/render.hpp"

namespace wlgpu {

namespace render {

// Per-draw data, one vertex-buffer instance (step mode Instance), 64 bytes.
struct Instance {
    float rect[4];   // x0, y0, x1, y1 in normalized device coordinates
    float uv0[2];    // texture coordinates at the dst top-left corner
    float uv_s[2];   // change of uv across dst x (left -> right)
    float uv_t[2];   // change of uv across dst y (top -> bottom)
    float alpha;     // multiplies the (premultiplied) sample
    float flags;     // kFlagSwapRb | kFlagOpaque
    float color[4];  // rect colour (premultiplied)
};
static_assert(sizeof(Instance) == 64);
constexpr uint32_t kFlagSwapRb = 1, kFlagOpaque = 2;
// dst (target pixels) as x0, y0, x1, y1 in normalized device coordinates.
void set_rect(float rect[4], Box dst, uint32_t target_w, uint32_t target_h);

// yuv: src/render/yuv.cpp. snapshot: a pass break that copies the target for post-processing;
// kinds from kEffectKindFirst on: src/render/effects.hpp.
enum class Kind : uint32_t { texture = 0, rect = 1, yuv = 2, snapshot = 3 };
constexpr uint32_t kEffectKindFirst = 16;

struct PipelineKey {
    WGPUTextureFormat format;
    Kind kind;
    Blend blend;
    auto operator<=>(const PipelineKey&) const = default;
};

// The pipelines, layouts and samplers (pipelines.cpp).
struct Pipelines {
    wg::ShaderModule module;
    wg::BindGroupLayout texture_layout;
    wg::PipelineLayout texture_pipeline_layout, rect_pipeline_layout;
    std::array<wg::Sampler, 2> samplers;  // indexed by Filter
    std::map<PipelineKey, wg::RenderPipeline> cache;
};
Result<void> init_pipelines(WGPUDevice device, Pipelines& p);
// A bind group of the texture layout: view and p's sampler for filter (a texture's own, an
// atlas's, an effect level's). Null where Dawn fails.
wg::BindGroup texture_bind_group(WGPUDevice device, const Pipelines& p, WGPUTextureView view, Filter filter);
// An instanced-quad pipeline (vs_main of module + the given fragment entry point) into a
// target of format, blended premultiplied or not: shared by the RGB and YUV pipelines.
struct QuadPipelineDesc {
    WGPUShaderModule module;
    WGPUPipelineLayout layout;
    const char* fragment_entry;
    const char* label;
    WGPUTextureFormat format;
    Blend blend;
    // The per-instance data: vec4 attributes at locations 0.. (Instance: 4; effects: their own).
    uint32_t vec4_attributes = 4;
    uint64_t instance_stride = sizeof(Instance);
    const char* vertex_entry = "vs_main";
};
wg::RenderPipeline create_quad_pipeline(WGPUDevice device, const QuadPipelineDesc& desc);
Result<WGPURenderPipeline> get_pipeline(WGPUDevice device, Pipelines& p, PipelineKey key, uint64_t& created);
Result<void> warm_pipelines(WGPUDevice device, Pipelines& p, WGPUTextureFormat format, uint64_t& created);

// Texture coordinates of the dst corners for a crop and a wl_output transform (transform.cpp).
struct UvMap {
    float uv0[2], uv_s[2], uv_t[2];
};
UvMap map_uv(FBox src, Transform t, uint32_t tex_w, uint32_t tex_h);
// The draw maps texels onto pixels one to one: an integer source box (the whole texture when
// empty) whose size, after the transform, is dst's (frame.cpp; also the copies' test, blit.cpp).
bool pixel_aligned_1to1(const TextureDraw& d, const Texture& t);

// WGSL source (shaders.cpp).
// The vertex stage every quad pipeline shares (struct VertexOut + vs_main over Instance).
extern const char* const kQuadVertexWgsl;
extern const char* const kTexelFlagsWgsl;  // wlgpu_apply_texel_flags(texel, flags)
extern const std::string kShaderWgsl;

// One recorded draw: instances [first, first+count) with one pipeline/bind group/scissor.
struct Cmd {
    PipelineKey key;
    WGPUBindGroup bind_group;  // borrowed from a Texture's cache; nullptr for rects
    Box scissor;
    bool clipped;
    uint32_t first, count;
    const void* keep_result = nullptr;  // Kind::snapshot of a cached blur: its cache (effects.cpp)
    bool operator==(const Cmd&) const = default;
};

// The previous single-pass frame's commands, and a render bundle of them once a frame repeated
// them (src/render/bundle.cpp). The bundle holds its bind groups, pipelines and the instance
// buffer: one frame's worth, released when the commands change or the renderer dies.
struct PassBundle {
    std::vector<Cmd> cmds;
    WGPUTextureFormat format = WGPUTextureFormat_Undefined;
    WGPUBuffer instances = nullptr;  // compared only: the bundle, if any, holds it
    uint64_t instance_bytes = 0;
    wg::RenderBundle bundle;
    uint64_t draws = 0, scissored_draws = 0;  // the bundle's draw calls
};

// Where a texture draw's texels are, when not in the texture itself: texel (0, 0) of the
// texture is texel (x, y) of texture (an atlas entry: src/render/atlas.hpp).
struct TexelSource {
    WGPUTexture texture = nullptr;
    uint32_t x = 0, y = 0;
};

// A draw that submit may turn into a copy (blit.cpp). A texture draw: texel (src_x, src_y) of
// source lands on pixel (dst.x, dst.y), 1:1; the frame's bind group of the draw keeps source
// alive. An opaque fill (source null): every pixel of dst gets the 4 bytes `fill` (memory order).
struct CopyCandidate {
    uint32_t instance;
    WGPUTexture source;
    Box dst;
    uint32_t src_x, src_y;
    bool x_source;  // the source has no alpha: its X byte is copied into the target's
    uint32_t fill = 0;
};

// The renderer's fill buffer (blit.cpp): rows of one colour's bytes, the source of opaque fills'
// copies on CPU adapters, and the fill colours of the previous frame.
struct FillBuffer {
    wg::Buffer buffer;
    uint32_t bytes_per_row = 0, rows = 0;
    std::optional<uint32_t> holds;  // the colour bytes the buffer holds
    std::vector<uint32_t> previous, current;  // fill colours noted in the previous/this frame
};

// Small unchanging textures copied into one texture per WebGPU format, so that draws of many
// of them share one bind group (src/render/atlas.hpp).
struct Atlas {
    WGPUTextureFormat format = WGPUTextureFormat_Undefined;
    wg::Texture texture;
    std::array<wg::BindGroup, 2> groups;  // indexed by Filter
    uint32_t size = 0;                    // width and height
    uint64_t generation = 0;              // placements of an older generation are void
    struct Shelf {
        uint32_t y, height, x;  // x: where the next entry of the shelf goes
    };
    std::vector<Shelf> shelves;
    uint32_t next_y = 0;      // where the next shelf goes
    bool full = false;        // a placement failed since the last reset
    uint64_t reset_frame = 0;  // Atlases::frames at the last reset
};
struct Atlases {
    std::vector<Atlas> atlases;
    std::vector<WGPUTextureFormat> failed;  // formats whose atlas could not be made
    // Copies into an atlas not yet encoded: the next submit encodes them before its pass.
    struct Copy {
        wg::Texture source, atlas;
        uint32_t x, y, width, height;
    };
    std::vector<Copy> pending;
    bool enabled = true;     // RendererOptions::atlas
    uint32_t max_size = 0;  // RendererOptions::atlas_max_size within the device's limit
    uint64_t next_generation = 1, frames = 0;
    uint32_t open_frames = 0;  // frames begun and not yet destroyed
};
// Where a texture lies in an atlas (its entry in Texture::renderer_cache).
struct AtlasSlot {
    uint64_t generation = 0;  // Atlas::generation when placed; 0: nowhere
    uint64_t version = 0;     // Texture::content_version() copied
    uint32_t x = 0, y = 0;
    // content_version() at the last draw, and the frame (Atlases::frames) that first drew it:
    // placed by a later frame, once the content stayed.
    uint64_t seen_version = 0, seen_frame = 0;
};

}  // namespace render

// Texture::renderer_cache: the renderer's state for one texture, per (renderer, filter): the
// bind group, and for YUV textures the uniform buffer of the conversion and the colour
// generation written into it. The only place render keeps per-texture state.
struct Texture::RendererCache {
    struct Entry {
        uint64_t renderer_id;
        std::array<wg::BindGroup, 2> groups;
        std::array<wg::Buffer, 2> uniforms;     // YUV only
        std::array<uint64_t, 2> generation{};  // YUV only: colour generation in uniforms
        render::AtlasSlot atlas;
    };
    std::vector<Entry> entries;
    // This renderer's entry (made on first use).
    Entry& of(uint64_t renderer_id) {
        for (auto& e : entries)
            if (e.renderer_id == renderer_id) return e;
        return entries.emplace_back(Entry{renderer_id, {}, {}, {}, {}});
    }
};

struct Renderer::Impl {
    Bridge* bridge = nullptr;
    uint64_t id = 0;  // unique per renderer, keys Texture::renderer_cache
    render::Pipelines pipelines;
    wg::Buffer instances;
    uint64_t instances_capacity = 0;  // in bytes
    // What the instance buffer holds, as written (the GPU only reads it; emptied with a new buffer).
    std::vector<render::Instance> uploaded;
    RenderStats stats;
    // Scratch storage lent to the frame being recorded (keeps steady state allocation-free).
    std::vector<render::Instance> scratch_instances;
    std::vector<render::Cmd> scratch_cmds;
    std::vector<wg::BindGroup> scratch_refs;
    std::vector<render::CopyCandidate> scratch_copies;
    std::shared_ptr<void> yuv;  // the YUV pipelines (src/render/yuv.cpp), made on first use
    std::shared_ptr<void> effects;  // effect pipelines and pooled textures (src/render/effects.cpp)
    render::FillBuffer fill;  // src/render/blit.cpp
    render::Atlases atlas;    // src/render/atlas.cpp
    bool compute_composite = false;  // RendererOptions::composite (src/render/compute.hpp)
    // With compute_composite: the compute pass only for frames whose dispatches write at least
    // per_dispatch pixels each on average and per_frame in all (0: every frame it can take).
    // Composite::automatic sets them (src/render/composite_choice.hpp); an explicit
    // Composite::compute leaves 0.
    struct ComputeMin {
        uint64_t per_dispatch = 0, per_frame = 0;
    } compute_min;
    std::shared_ptr<void> compute;   // its pipelines and buffers, made on first use
    render::PassBundle bundle;  // last, so released first (src/render/bundle.cpp)

    // This renderer's entry in t's Texture::renderer_cache.
    Texture::RendererCache::Entry& cache_entry(const Texture& t);
    Result<WGPUBindGroup> bind_group(const Texture& t, Filter f);
    Result<void> ensure_instance_capacity(uint64_t bytes);
    // Writes the frame's instances into the instance buffer (large enough): only the span from
    // the first to the last instance that differs from what it holds, nothing when none does.
    void upload_instances(std::span<const render::Instance> in);
};

class GpuTimer;

struct Frame::Impl {
    Renderer::Impl* r = nullptr;
    Texture* target = nullptr;
    GpuTimer* timer = nullptr;
    std::vector<render::Instance> instances;
    std::vector<render::Cmd> cmds;
    std::vector<wg::BindGroup> refs;  // keeps bind groups alive until submit
    std::vector<render::CopyCandidate> copies;  // draws that may become copies (blit.cpp)
    std::vector<std::shared_ptr<SharedAccess>> shared;  // imported textures used (once each)
    std::optional<Color> load_clear;   // a leading unclipped clear becomes the pass's clear value
    std::vector<std::shared_ptr<const void>> keep;  // effects used (alive until submit)
    bool submitted = false;

    ~Impl();
    void push(render::PipelineKey key, WGPUBindGroup bg, Box dst, const Clip& clip, const render::Instance& inst);
    // A texture draw, validated: its bind group (kept until submit), its instance (rect, uv,
    // alpha, flags) and whether it is YUV; the texture's shared access is taken for the frame.
    // false: nothing to draw (empty dst, zero alpha). what names the call in errors.
    struct TexturePrep {
        WGPUBindGroup bind_group = nullptr;
        render::Instance instance{};
        bool yuv = false;
        render::TexelSource source;  // where the bind group's texture holds the texels (atlas)
    };
    // With may_use_atlas, a small unchanging texture may be drawn from the renderer's atlas
    // (src/render/atlas.hpp): only for fs_texture, which clamps to the entry; effects' shaders
    // sample around and beyond their texture.
    Result<bool> prepare_texture(const TextureDraw& d, const char* what, TexturePrep& out, bool may_use_atlas = false);
    // The commands of a draw of instance `index` over dst and clip; false if nothing is visible.
    bool add_cmds(render::PipelineKey key, WGPUBindGroup bg, Box dst, const Clip& clip, uint32_t index);
};

// The timer behind Renderer::create_timer (timer.cpp).
class GpuTimer final : public RenderTimer {
public:
    static Result<std::unique_ptr<GpuTimer>> create(Bridge& b);
    Result<uint64_t> duration_ns() override;
    // Called by Frame::submit: timestamp writes for the pass, then resolve + copy.
    WGPUPassTimestampWrites pass_writes() const;
    void encode_resolve(WGPUCommandEncoder enc);
    void after_submit();

private:
    explicit GpuTimer(Bridge& b) : bridge_(&b) {}
    Bridge* bridge_;
    wg::QuerySet queries_;
    wg::Buffer resolve_, readback_;
    WGPUFuture map_future_{};
    bool pending_ = false, mapped_ = false;
    WGPUMapAsyncStatus status_ = WGPUMapAsyncStatus_Error;
};

}  // namespace wlgpu
