// Explicit sync in the wlroots adapter (linux-drm-syncobj-v1; docs/sync.md "wlroots integration"):
//   - the syncobj DRM node and renderer->features.timeline (sync_init);
//   - wlr_render_texture_options.wait_timeline/wait_point -> the texture's SharedAccess waits
//     for the point's sync_file on the GPU (sync_wait_for_draw);
//   - wlr_buffer_pass_options.signal_timeline/signal_point -> signalled from the end-of-access
//     fence after the submit (sync_signal_after_submit), never by a CPU wait for the device;
//   - the C API of wlgpu/wlr_sync.h: the acquire path detection (sync::ExplicitSync, run once,
//     on the compositor's wl_event_loop) and event-loop acquire waits for compositors on
//     drivers where the GPU-side wait blocks the submitting thread (lavapipe).
#include <fcntl.h>
#include <unistd.h>
#include <xf86drm.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <format>

#include "internal.hpp"
#include "wlgpu/sync.hpp"
#include "wlgpu/sync_wl.hpp"
#include "wlgpu/wlr_sync.h"

extern "C" {
#define static
#include <wlr/render/drm_syncobj.h>
#undef static
}

namespace wlgpu::wlr::detail {

namespace {

// The wl_event_loop is only known once the compositor calls wlgpu_renderer_init_explicit_sync;
// ExplicitSync may be created before (for releases, which need no loop).
class DeferredLoop final : public sync::EventLoop {
public:
    SourcePtr watch_fd(int fd, std::function<void()> fn) override {
        if (wl) return wl->watch_fd(fd, std::move(fn));
        log_error("explicit sync: an acquire wait needs wlgpu_renderer_init_explicit_sync() first");
        return std::make_unique<Source>();
    }
    SourcePtr timer(std::chrono::nanoseconds after, std::function<void()> fn) override {
        if (wl) return wl->timer(after, std::move(fn));
        return std::make_unique<Source>();
    }
    std::unique_ptr<sync::WlEventLoop> wl;
};

bool has_timeline_cap(int fd) {
    uint64_t v = 0;
    return drmGetCap(fd, DRM_CAP_SYNCOBJ_TIMELINE, &v) == 0 && v == 1 && sync::eventfd_supported(fd);
}

// Opens node if it supports timeline syncobjs (and the eventfd wlroots waits with).
int open_syncobj_node(const std::string& node, std::string* why) {
    int fd = open(node.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        *why += std::format("{}: {}; ", node, strerror(errno));
        return -1;
    }
    if (!has_timeline_cap(fd)) {
        *why += std::format("{}: no timeline syncobjs; ", node);
        close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

struct RendererSync {
    int fd = -1;               // the syncobj node (owned)
    std::string node;          // its path, for logs
    std::string why_none;      // when fd < 0
    DeferredLoop loop;
    std::unique_ptr<sync::ExplicitSync> es;
    uint32_t timeout_ms = 0;
    std::string stats_text;
    // Adapter counters (render-time waits and pass signals).
    uint64_t draw_waits_gpu = 0, draw_waits_signalled = 0, draw_waits_unready = 0, draw_waits_no_access = 0;
    uint64_t signals_fence = 0, signals_cpu_done = 0, signals_work_done = 0, errors = 0;
    bool warned_unready = false, warned_no_access = false;

    ~RendererSync() {
        es.reset();
        if (fd >= 0) close(fd);
    }

    sync::ExplicitSync* get(Bridge& bridge) {
        if (es) return es.get();
        sync::SyncOptions o;
        if (timeout_ms) o.acquire_timeout = std::chrono::milliseconds(timeout_ms);
        o.log = [](std::string_view s) { wlr_log(WLR_INFO, "wlgpu sync: %.*s", int(s.size()), s.data()); };
        auto r = sync::ExplicitSync::create(bridge, loop, std::move(o));
        if (!r) {
            log_error("explicit sync: %s", error_text(r.error()));
            return nullptr;
        }
        es = std::move(*r);
        return es.get();
    }
};

void sync_init(WlRenderer* r, const std::string& option_node) {
    auto s = std::make_unique<RendererSync>();
    std::string node = option_node;
    if (const char* e = std::getenv("WLGPU_SYNCOBJ_NODE"); node.empty() && e && *e) node = e;
    if (node == "none") {
        s->why_none = "disabled (syncobj node \"none\")";
    } else if (!node.empty()) {
        s->fd = open_syncobj_node(node, &s->why_none);
        if (s->fd >= 0) s->node = node;
    } else {
        // The adapter's own render node first, then any render node with timelines (software
        // adapters have none of their own; syncobjs are only handles for the kernel's fences,
        // so any DRM node's syncobjs carry the clients' fences to us as sync_files).
        const std::vector<std::string> nodes = r->bridge->syncobj_node_candidates();
        for (auto& n : nodes) {
            s->fd = open_syncobj_node(n, &s->why_none);
            if (s->fd >= 0) {
                s->node = n;
                break;
            }
        }
        if (nodes.empty()) s->why_none = "no DRM render node";
    }
    bool sync_fd = r->bridge->caps().sync_fd_fence;
    r->base.features.timeline = s->fd >= 0 && sync_fd;
    if (r->base.features.timeline)
        log_info("explicit sync: timeline syncobjs on %s, SyncFD fences: features.timeline on", s->node.c_str());
    else
        log_info("explicit sync: features.timeline off (%s%s)", sync_fd ? "" : "no SyncFD fences; ",
                 s->fd >= 0 ? s->node.c_str() : s->why_none.c_str());
    r->sync = {s.release(), [](RendererSync* p) { delete p; }};
}

void sync_wait_for_draw(WlRenderer* r, WlTexture* t, wlr_drm_syncobj_timeline* timeline, uint64_t point) {
    RendererSync& s = *r->sync;
    SharedAccess* access = t->texture->shared_access.get();
    auto tl = sync::Timeline::adopt(timeline->drm_fd, timeline->handle, /*borrowed=*/true);
    auto f = tl.export_sync_file(point);
    if (!f) {
        // wlroots applies a commit only once its point has materialised, so this is a bad point.
        s.errors++;
        log_error("explicit sync: acquire point %llu: %s; drawing without waiting", (unsigned long long)point,
                  error_text(f.error()));
        return;
    }
    if (sync::fence_signalled(f->get())) {
        s.draw_waits_signalled++;
        return;
    }
    if (!access) {
        // A copy (SHM upload) has no shared access to wait in; the data was copied already.
        s.draw_waits_no_access++;
        if (!s.warned_no_access) {
            log_info("explicit sync: acquire fence on a texture without shared access (memory buffer); not waited");
            s.warned_no_access = true;
        }
        return;
    }
    if (s.es && s.es->path() == sync::AcquirePath::cpu) {
        // The compositor should have waited in its event loop; the GPU still waits (correct),
        // but on this driver the submit blocks until the fence signals.
        s.draw_waits_unready++;
        if (!s.warned_unready) {
            log_error("explicit sync: an unsignalled acquire fence reached the renderer on the cpu path; the "
                      "submit will block until it signals (wait in the event loop: wlgpu/wlr_sync.h)");
            s.warned_unready = true;
        }
    } else {
        s.draw_waits_gpu++;
    }
    if (auto a = access->add_wait_sync_file(f->release()); !a) {
        s.errors++;
        log_error("explicit sync: add_wait_sync_file: %s", error_text(a.error()));
    }
}

void sync_pass_begin(WlPass* p, const wlr_buffer_pass_options* options) {
    if (!options || !options->signal_timeline) return;
    p->signal_timeline = wlr_drm_syncobj_timeline_ref(options->signal_timeline);
    p->signal_point = options->signal_point;
}

namespace {
void signal_after_submit(WlRenderer* r, wlr_drm_syncobj_timeline* timeline, uint64_t point, SyncPoint done,
                         bool read_back) {
    RendererSync& s = *r->sync;
    // Borrowed handle: the shared_ptr only lives as long as ExplicitSync needs it, and the
    // wlroots timeline is referenced for that long.
    wlr_drm_syncobj_timeline* ref = wlr_drm_syncobj_timeline_ref(timeline);
    std::shared_ptr<const sync::Timeline> tl(
        new sync::Timeline(sync::Timeline::adopt(timeline->drm_fd, timeline->handle, true)),
        [ref](const sync::Timeline* p) {
            delete p;
            wlr_drm_syncobj_timeline_unref(ref);
        });
    if (read_back) {
        // The pass ended with a read-back of the frame into the buffer's memory: its GPU work
        // is complete, the point can be signalled now.
        if (auto x = tl->signal(point); !x) {
            s.errors++;
            log_error("explicit sync: signal point %llu: %s", (unsigned long long)point, error_text(x.error()));
        } else {
            s.signals_cpu_done++;
        }
        return;
    }
    sync::ExplicitSync* es = s.get(*r->bridge);
    if (!es) {
        s.errors++;
        return;
    }
    auto mode = es->release(std::move(done), tl, point);
    if (!mode) {
        s.errors++;
        log_error("explicit sync: signal point %llu: %s", (unsigned long long)point, error_text(mode.error()));
        return;
    }
    if (*mode == sync::ReleaseMode::fence) s.signals_fence++;
    else s.signals_work_done++;
}
}  // namespace

void sync_pass_end(WlPass* p, SyncPoint done, bool read_back) {
    // A failed pass still signals (done is work_done then): a client or backend waiting for
    // the point must not hang on our failure.
    signal_after_submit(p->renderer, p->signal_timeline, p->signal_point, std::move(done), read_back);
    wlr_drm_syncobj_timeline_unref(p->signal_timeline);
    p->signal_timeline = nullptr;
}

}  // namespace wlgpu::wlr::detail

using namespace wlgpu;
using namespace wlgpu::wlr::detail;

struct wlgpu_acquire {
    std::unique_ptr<sync::Acquire> acquire;
};

extern "C" {

int wlgpu_renderer_get_syncobj_drm_fd(struct wlr_renderer* renderer) {
    if (!wlr_renderer_is_wlgpu(renderer)) return -1;
    WlRenderer* r = get_renderer(renderer);
    return r->sync ? r->sync->fd : -1;
}

const char* wlgpu_renderer_init_explicit_sync(struct wlr_renderer* renderer, struct wl_event_loop* loop,
                                              uint32_t acquire_timeout_ms) {
    if (!wlr_renderer_is_wlgpu(renderer) || !loop) return nullptr;
    WlRenderer* r = get_renderer(renderer);
    if (!r->sync || !r->base.features.timeline) return nullptr;
    RendererSync& s = *r->sync;
    if (!s.loop.wl) s.loop.wl = std::make_unique<sync::WlEventLoop>(loop);
    if (!s.es) s.timeout_ms = acquire_timeout_ms;
    sync::ExplicitSync* es = s.get(*r->bridge);
    if (!es) return nullptr;
    const sync::Detection& d = es->detection();
    log_info("explicit sync: acquire path %s (%s: %s)", std::string(to_string(d.path)).c_str(), d.method.c_str(),
             d.detail.c_str());
    return d.path == sync::AcquirePath::gpu ? "gpu" : "cpu";
}

struct wlgpu_acquire* wlgpu_acquire_create(struct wlr_renderer* renderer, struct wlr_drm_syncobj_timeline* timeline,
                                           uint64_t point, const char* who, wlgpu_acquire_func done, void* data) {
    if (!wlr_renderer_is_wlgpu(renderer) || !timeline || !done) return nullptr;
    WlRenderer* r = get_renderer(renderer);
    if (!r->sync || !r->sync->es || !r->sync->loop.wl) {
        log_error("explicit sync: wlgpu_acquire_create before wlgpu_renderer_init_explicit_sync");
        return nullptr;
    }
    wlr_drm_syncobj_timeline* ref = wlr_drm_syncobj_timeline_ref(timeline);
    std::shared_ptr<const sync::Timeline> tl(
        new sync::Timeline(sync::Timeline::adopt(timeline->drm_fd, timeline->handle, true)),
        [ref](const sync::Timeline* p) {
            delete p;
            wlr_drm_syncobj_timeline_unref(ref);
        });
    auto* out = new wlgpu_acquire();
    auto a = r->sync->es->acquire(std::move(tl), point, who ? who : "client", [done, data](sync::AcquireResult res) {
        // The fence (gpu path) is not needed here: the renderer exports the point again when
        // it draws (sync_wait_for_draw).
        enum wlgpu_acquire_status st = res.status == sync::AcquireResult::Status::ready ? WLGPU_ACQUIRE_READY
                                       : res.status == sync::AcquireResult::Status::timed_out ? WLGPU_ACQUIRE_TIMED_OUT
                                                                                               : WLGPU_ACQUIRE_ERROR;
        done(data, st, res.message.c_str());  // may destroy the wlgpu_acquire
    });
    if (!a) {
        log_error("explicit sync: %s", error_text(a.error()));
        delete out;
        return nullptr;
    }
    out->acquire = std::move(*a);
    return out;
}

void wlgpu_acquire_destroy(struct wlgpu_acquire* acquire) { delete acquire; }

const char* wlgpu_renderer_get_sync_stats(struct wlr_renderer* renderer) {
    if (!wlr_renderer_is_wlgpu(renderer)) return "";
    WlRenderer* r = get_renderer(renderer);
    if (!r->sync) return "";
    RendererSync& s = *r->sync;
    s.stats_text = std::format(
        "{} | adapter draw_waits gpu={} signalled={} unready_on_cpu_path={} no_access={}; pass_signals fence={} "
        "after_readback={} work_done={}; errors={}",
        s.es ? s.es->stats_line() : std::string("sync path=none"), s.draw_waits_gpu, s.draw_waits_signalled,
        s.draw_waits_unready, s.draw_waits_no_access, s.signals_fence, s.signals_cpu_done, s.signals_work_done,
        s.errors);
    return s.stats_text.c_str();
}

}  // extern "C"
