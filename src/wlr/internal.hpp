// Shared declarations of the wlroots renderer adapter (src/wlr), split the way wlroots'
// render/vulkan/ is: one concern per file, one impl table per object.
//
//   renderer.cpp  wlr_renderer_impl: create/destroy, formats, drm fd, the C entry points
//   texture.cpp   wlr_texture_impl and texture_from_buffer (memory buffers)
//   dmabuf.cpp    DMA-BUF buffers: formats, the imported texture cached per wlr_buffer
//                 (wlr_addon), the DRM fd that linux-dmabuf-v1 feedback names, and its
//                 check_dmabuf callback (wlgpu_renderer_check_dmabuf)
//   buffer.cpp    the render target of a wlr_buffer, cached on it with a wlr_addon
//   pass.cpp      wlr_render_pass_impl and begin_buffer_pass
//   effects.cpp   wlgpu/wlr_effects.h: effects (docs/effects.md) on a wlgpu render pass
//   scene_effects.cpp  wlgpu/wlr_scene_effects.h: the effects on a wlr_scene (effect nodes, corners)
//   timer.cpp     wlr_render_timer_impl
//   util.cpp      boxes, regions, errors, device loss
//   sync.cpp      explicit sync: syncobj node, wait_timeline/signal_timeline, wlgpu/wlr_sync.h
//   surface_sync.cpp  wlgpu_surface_sync_create: commits held for acquire points / write fences
//   commit_copy.cpp  big CPU copies of a commit (unsealed wl_shm, read-only DMA-BUFs) made by a
//                 worker thread while surface_sync.cpp holds the commit
//   upload.cpp    client memory (wl_shm) uploads: GPU copies out of the imported memory where it
//                 cannot shrink (waited for before the buffer goes back); else CPU copies
//   allocator.cpp wlgpu_allocator_autocreate: wlroots' allocator choice, else udmabuf, else shm
//
// No rendering logic lives in src/wlr: the files only translate wlroots structs (buffers,
// boxes, pixman regions, option structs) into wlgpu calls. Built twice from the same
// sources, against wlroots 0.19 and 0.20 (WLGPU_WLR_020 selects what 0.20 added).
#pragma once

#include <pixman.h>
#include <wayland-server-core.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <drm_fourcc.h>

// wlroots headers are C: array parameters use C99 "[static N]", which C++ does not have.
// This is the one place that includes them with the workaround; other files include this one.
extern "C" {
#define static
#include <wlr/backend.h>
#include <wlr/interfaces/wlr_buffer.h>
#include <wlr/render/allocator.h>
#include <wlr/render/drm_format_set.h>
#include <wlr/render/interface.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/util/addon.h>
#include <wlr/util/log.h>
#include <wlr/version.h>
#undef static
}

#include "bridge/readback.hpp"
#include "wlgpu/bridge.hpp"
#include "wlgpu/dmabuf.hpp"
#include "wlgpu/format.hpp"
#include "wlgpu/render.hpp"
#include "wlgpu/texture.hpp"
#include "wlgpu/wlr.h"
#include "wlgpu/wlr.hpp"

struct wlr_surface;

#define WLGPU_WLR_020 (WLR_VERSION_NUM >= ((0 << 16) | (20 << 8) | 0))

#define log_error(fmt, ...) wlr_log(WLR_ERROR, "wlgpu: " fmt, ##__VA_ARGS__)
#define log_info(fmt, ...) wlr_log(WLR_INFO, "wlgpu: " fmt, ##__VA_ARGS__)
#define log_debug(fmt, ...) wlr_log(WLR_DEBUG, "wlgpu: " fmt, ##__VA_ARGS__)

namespace wlgpu::wlr::detail {

extern const wlr_renderer_impl kRendererImpl;
extern const wlr_texture_impl kTextureImpl;
extern const wlr_render_pass_impl kPassImpl;
extern const wlr_render_timer_impl kTimerImpl;

struct WlRenderer;
struct RendererSync;  // sync.cpp
}  // namespace wlgpu::wlr::detail
struct wlgpu_scene_effects;  // scene_effects.cpp
struct wlgpu_effect;         // effects.cpp
namespace wlgpu::wlr::detail {

// The render Texture of one target wlr_buffer (wlr_addon on the buffer), buffer.cpp.
struct RenderBuffer {
    wlr_addon addon{};
    WlRenderer* renderer = nullptr;
    wlr_buffer* buffer = nullptr;
    std::shared_ptr<Texture> texture;
    uint32_t drm_format = 0;
    bool dmabuf = false;  // texture is the imported dma-buf itself (no copy back on submit)
    bool may_import = false;  // memory with no fd or a shrink-sealed one: the GPU may write into it (buffer.cpp)
    wl_list link{};  // WlRenderer::buffers
};

// The texture of one client DMA-BUF wlr_buffer (wlr_addon on the buffer), dmabuf.cpp: what the
// importer chose (dmabuf_texture: zero-copy, or a copy refreshed on each commit). texture null:
// neither worked (logged once; the buffer is not retried).
struct DmabufImport {
    wlr_addon addon{};
    WlRenderer* renderer = nullptr;
    DmabufTexture texture;
    bool warned_recopy = false;
    wl_list link{};  // WlRenderer::dmabuf_imports
};

// The imported memory of one client memory (wl_shm) wlr_buffer (wlr_addon on the buffer),
// upload.cpp. import empty: refused (the reason logged once; the buffer is not retried).
struct ShmImport {
    wlr_addon addon{};
    std::optional<HostImport> import;
    wl_list link{};  // WlRenderer::shm_imports
};

struct WlRenderer {
    wlr_renderer base{};
    std::unique_ptr<Bridge> bridge;
    std::unique_ptr<Renderer> renderer;
    wlr_drm_format_set texture_formats{}, render_formats{};
    wlr_drm_format_set dmabuf_texture_formats{};  // empty: no DMA-BUF import on this device
    bool dmabuf_textures = false, dmabuf_targets = false;
    int drm_fd = -1;
    bool drm_fd_tried = false;
    std::shared_ptr<std::atomic<bool>> lost = std::make_shared<std::atomic<bool>>(false);
    bool lost_emitted = false;
    std::string summary;
    wl_list buffers{};  // RenderBuffer::link
    wl_list dmabuf_imports{};  // DmabufImport::link
    wl_list shm_imports{};     // ShmImport::link
    wl_list textures{};  // WlTexture::link: destroyed with the renderer (wlroots' client buffers forget theirs)
    bool warned_dmabuf = false, warned_color = false, warned_output_transform = false;
    bool trust_target_memory = false;  // wlgpu_renderer_set_trust_target_memory
    std::string transfer_text;         // wlgpu_renderer_get_transfer_stats
    std::unique_ptr<RendererSync, void (*)(RendererSync*)> sync{nullptr, nullptr};  // explicit sync, sync.cpp
    wlgpu_scene_effects* scene_effects = nullptr;  // wlgpu_scene_effects_create (scene_effects.cpp)
    // While a held commit is applied (CopiedRows, commit_copy.cpp): its buffer's rows, copied off
    // the event loop, that its upload takes instead of the client's memory.
    wlr_buffer* copied_buffer = nullptr;
    const RowCopy* copied = nullptr;
};

struct WlTexture {
    wlr_texture base{};
    WlRenderer* renderer = nullptr;
    std::shared_ptr<Texture> texture;
    bool dmabuf_copy = false;  // texture is a DmabufImport copy (update_from_buffer re-copies)
    // An imported (zero-copy) DMA-BUF's buffer, locked while the texture may sample it, as
    // wlroots' gles2 and vulkan renderers do: wl_buffer.release reaches the client only once
    // nothing reads the buffer any more. Copies hold no lock (they are snapshots).
    wlr_buffer* locked_buffer = nullptr;
    wl_list link{};  // WlRenderer::textures
};

struct WlTimer {
    wlr_render_timer base{};
    WlRenderer* renderer = nullptr;
    std::unique_ptr<RenderTimer> timer;
};

struct WlPass {
    wlr_render_pass base{};
    WlRenderer* renderer = nullptr;
    RenderBuffer* target = nullptr;
    std::optional<Frame> frame;
    Box dirty{};            // bounding box of what the pass drew, in target pixels
    std::vector<Box> drawn;  // what the pass drew, box by box (may overlap; read back as their union)
    bool failed = false;
    std::deque<std::vector<Box>> clips;  // clip boxes stay alive until submit
    wlr_drm_syncobj_timeline* signal_timeline = nullptr;  // referenced; signalled after submit (sync.cpp)
    uint64_t signal_point = 0;
};

// Downcasts (nullptr when the object is not ours, where wlroots can hand us foreign ones).
inline WlRenderer* get_renderer(wlr_renderer* r) { return reinterpret_cast<WlRenderer*>(r); }
inline WlTexture* get_texture(wlr_texture* t) {
    return t && t->impl == &kTextureImpl ? reinterpret_cast<WlTexture*>(t) : nullptr;
}
inline WlPass* get_pass(wlr_render_pass* p) { return reinterpret_cast<WlPass*>(p); }
inline WlTimer* get_timer(wlr_render_timer* t) {
    return t && t->impl == &kTimerImpl ? reinterpret_cast<WlTimer*>(t) : nullptr;
}

// ---- util.cpp ----
// Emits renderer->events.lost once, on the compositor's thread (Dawn's callback only sets
// a flag). Returns true when the device is lost: the caller must fail and touch nothing.
bool check_lost(WlRenderer* r);
Box to_box(const wlr_box& b);
std::vector<Box> region_boxes(const pixman_region32_t* region);
// "code: message" (valid until the next call on this thread).
const char* error_text(const Error& e);
// Whether nobody can truncate the buffer's memory under the GPU: its wl_shm fd is sealed
// against shrinking (F_SEAL_SHRINK) and its file holds the whole buffer. A buffer without an
// fd gets no_fd (compositor memory for a target: true; for a client texture: false).
bool memory_cannot_shrink(wlr_buffer* buffer, bool no_fd);

// Runs fn(data, format, stride) with read (or write) access to buffer's memory; false when
// the buffer has no data-ptr access.
template <typename Fn>
bool with_data(wlr_buffer* buffer, uint32_t flags, Fn&& fn) {
    void* data = nullptr;
    uint32_t format = 0;
    size_t stride = 0;
    if (!wlr_buffer_begin_data_ptr_access(buffer, flags, &data, &format, &stride)) return false;
    fn(data, format, uint32_t(stride));
    wlr_buffer_end_data_ptr_access(buffer);
    return true;
}

// ---- texture.cpp ----
wlr_texture* wrap_texture(WlRenderer* r, std::shared_ptr<Texture> tex);
wlr_texture* texture_from_buffer(wlr_renderer* wr, wlr_buffer* buffer);
// On renderer destroy: the textures nobody destroyed (wlr_client_buffer drops its texture on the
// renderer's destroy signal without destroying it), as wlroots' gles2 and vulkan renderers do.
void textures_destroy_all(WlRenderer* r);

// ---- upload.cpp ----
// Uploads the damage of a client memory buffer (data, stride: its begun data-ptr access) into
// t: copied by the GPU out of the imported memory where that is safe, else by Texture::update,
// at most DmabufImportOptions::kDefaultMaxCopyBytes of damage per call (a bigger CPU copy is
// refused: it would stall the event loop).
Result<void> upload_memory(WlRenderer* r, Texture& t, wlr_buffer* buffer, void* data, uint32_t stride,
                           std::span<const Box> damage);
// On renderer destroy: drops every import.
void shm_imports_destroy_all(WlRenderer* r);

// ---- dmabuf.cpp ----
// Fills the DMA-BUF format sets from the importer's probe (once, at creation).
void dmabuf_init_formats(WlRenderer* r);
// wlr_dmabuf_attributes -> wlgpu::DmabufAttributes (fds borrowed).
DmabufAttributes to_dmabuf(const wlr_dmabuf_attributes& a);
std::string describe(const wlr_dmabuf_attributes& a);
// The texture of a DMA-BUF buffer: asked of the importer (dmabuf_texture) once per wlr_buffer and
// cached on it; a copy is refreshed once per commit. Failures are logged once per buffer.
wlr_texture* texture_from_dmabuf(WlRenderer* r, wlr_buffer* buffer, const wlr_dmabuf_attributes& attrs);
// update_from_buffer of a copied DMA-BUF texture: t takes buffer's (re-)copied texture.
bool dmabuf_copy_update(WlTexture* t, wlr_buffer* buffer, std::span<const Box> damage);
// wlgpu_renderer_check_dmabuf: the importer's validation (or the copy path's, for what the
// driver cannot map), then the advertised format/modifier set; logs the refusal.
bool check_dmabuf(WlRenderer* r, const wlr_dmabuf_attributes& attrs);
void dmabuf_imports_destroy_all(WlRenderer* r);

// True where the buffer is shown through the copy path: its cached texture is a copy, or it has
// none yet and only the copy path can show it (a read-only single-plane LINEAR RGB dma-buf).
bool dmabuf_takes_copy(WlRenderer* r, wlr_buffer* buffer, const wlr_dmabuf_attributes& attrs);

// ---- commit_copy.cpp ----
// A commit whose upload would make the CPU copy at least this many bytes of client memory is
// held while a worker thread copies them (8 MiB: a 1920x1080 XRGB8888 buffer is just under).
constexpr uint64_t kOffLoopBytes = 8ull << 20;
// One copy: planned at the commit, opened when it starts (its fds: one running copy per surface
// holds them), run by the worker, its result read on the event loop once `done` is readable.
struct CopyJob {
    enum class Kind { shm, dmabuf };
    Kind kind = Kind::shm;
    wlr_buffer* buffer = nullptr;  // event loop only: the held commit's buffer (locked by the commit)
    sync::Fd fd;                   // a dup of the pool's or the dma-buf's fd
    uint64_t shm_offset = 0;       // shm: pixel (0,0) in the pool
    DmabufAttributes dmabuf{};     // dmabuf: planes[0].fd is fd
    uint32_t stride = 0, height = 0, first = 0, end = 0;  // the rows [first, end) to copy
    sync::Fd done;                 // eventfd, written once by the worker
    std::atomic<bool> cancelled{false};  // the commit went (its surface was destroyed)
    // Written by the worker before `done`:
    std::optional<RowCopy> rows;
    std::string error;
    double ms = 0;
};
// The copy a pending commit needs (wlgpu renderer, its buffer's upload a CPU copy of at least
// kOffLoopBytes), or nullptr: copied at commit as before.
std::shared_ptr<CopyJob> plan_commit_copy(WlRenderer* r, wlr_surface* surface);
// On the event loop, as the copy starts (its commit still holds the buffer): dups the buffer's fd
// and makes the eventfd.
Result<void> open_commit_copy(CopyJob& job);
// One thread, copying jobs in order; stopped (after its current job) when destroyed.
class CopyWorker {
public:
    CopyWorker();
    ~CopyWorker();
    void push(std::shared_ptr<CopyJob> job);

private:
    void run();
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::shared_ptr<CopyJob>> queue_;
    bool stop_ = false;
    std::thread thread_;
};
// For its lifetime (the apply of a held commit), a job's rows are what uploads of its buffer
// take (copied_rows).
class CopiedRows {
public:
    CopiedRows(wlr_renderer* renderer, const CopyJob* job);
    ~CopiedRows();
    CopiedRows(const CopiedRows&) = delete;
    CopiedRows& operator=(const CopiedRows&) = delete;

private:
    WlRenderer* r_ = nullptr;
};
// The rows of buffer copied off the event loop for the commit being applied, or nullptr.
const RowCopy* copied_rows(WlRenderer* r, wlr_buffer* buffer);

// ---- allocator.cpp ----
// wlgpu_allocator_autocreate: the first of wlroots' choice, udmabuf, shm that allocates.
wlr_allocator* allocator_autocreate(wlr_backend* backend, wlr_renderer* renderer);

// ---- buffer.cpp ----
// The cached render target of buffer, created on first use; nullptr (logged) on failure.
RenderBuffer* get_render_buffer(WlRenderer* r, wlr_buffer* buffer);
// The cached render target of buffer if it has one (no creation).
RenderBuffer* find_render_buffer(WlRenderer* r, wlr_buffer* buffer);
void render_buffer_destroy(RenderBuffer* rb);
// Submits a pass's frame and makes the buffer hold what was drawn into the boxes `drawn` of the
// target: memory buffers get the drawn region copied back in the frame's own submit (and the
// call waits for it); DMA-BUF targets are drawn into directly.
Result<SyncPoint> render_buffer_submit(RenderBuffer* rb, Frame& frame, std::span<const Box> drawn);

// ---- pass.cpp ----
wlr_render_pass* begin_buffer_pass(wlr_renderer* wr, wlr_buffer* buffer, const wlr_buffer_pass_options* options);
// Records the clip of a draw that touches dst (kept alive until submit) and what the draw
// touches (the pass's drawn boxes and their bounding box, read back on submit).
Clip pass_clip(WlPass* p, const pixman_region32_t* clip, Box dst);
// The Frame draw of wlroots' texture options (src/dst boxes, transform, alpha, filter, blend,
// clip, colour, wait_timeline); nullopt (logged as `what`) when the texture is not ours.
std::optional<TextureDraw> pass_texture_draw(WlPass* p, const wlr_render_texture_options* o, const char* what);
// Logs a failed draw as `what`; device loss fails the pass. Returns r's success.
bool pass_check(WlPass* p, const char* what, const Result<void>& r);

// ---- sync.cpp (explicit sync: linux-drm-syncobj-v1, wlgpu/wlr_sync.h) ----
// At creation: opens the syncobj node (option, WLGPU_SYNCOBJ_NODE, else the first render node
// with timelines) and sets base.features.timeline.
void sync_init(WlRenderer* r, const std::string& syncobj_node);
// add_texture with wait_timeline: the GPU waits for the point (the texture's SharedAccess).
void sync_wait_for_draw(WlRenderer* r, WlTexture* t, wlr_drm_syncobj_timeline* timeline, uint64_t point);
// begin_buffer_pass: remembers signal_timeline/signal_point.
void sync_pass_begin(WlPass* p, const wlr_buffer_pass_options* options);
// After the submit (and the target's finish): signals the point from done, the frame's
// completion (Frame::submit: its end-of-access fence, or the queue's work-done), or now when
// read_back (the frame was read back into the buffer's memory). Drops the ref.
void sync_pass_end(WlPass* p, SyncPoint done, bool read_back);

// ---- effects.cpp ----
// The Effect of a wlgpu_effect made for renderer r; nullptr (not logged) when it is another's.
const Effect* effect_of(const wlgpu_effect* e, const WlRenderer* r);

// ---- scene_effects.cpp (wlgpu/wlr_scene_effects.h) ----
// texture_from_buffer of an effect node's marker buffer; nullptr for any other buffer.
wlr_texture* scene_effect_texture(WlRenderer* r, wlr_buffer* buffer);
// add_texture: draws an effect node's effect or a rounded node's texture and returns true;
// false for any other draw (the pass draws it as usual).
bool scene_effect_add_texture(WlPass* p, const wlr_render_texture_options* o);
// Before the frame's submit: the output effect of wlgpu_scene_output_build_state, over what
// the pass drew.
void scene_effect_before_submit(WlPass* p);

// ---- timer.cpp ----
wlr_render_timer* render_timer_create(wlr_renderer* wr);

// ---- surface_sync.cpp ----
// What a client's buffer counts against its byte limit (wlgpu_surface_sync_set_client_limits):
// the textures of its format and size (pixel::image_bytes: NV12 1.5 bytes a pixel, ARGB8888 4),
// width x height x 4 where the format is unknown or the buffer has neither wl_shm nor DMA-BUF
// attributes; 0 for no buffer.
uint64_t buffer_charge(wlr_buffer* buffer);

}  // namespace wlgpu::wlr::detail
