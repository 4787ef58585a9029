// Implicit sync for DMA-BUF clients (wlgpu_implicit_sync_create): a surface commit whose new
// DMA-BUF still carries unsignalled write fences is held (wlr_surface_lock_pending) until they
// signal, waiting on the compositor's event loop. Without it the CPU copy of a read-only
// dma-buf (and any read at commit time) could see the buffer before the client's GPU has
// finished writing it. The surface keeps its previous content meanwhile; other clients are
// not delayed; a fence that never signals holds only its own surface's commits.
#include "internal.hpp"

extern "C" {
#define static
#include <wlr/types/wlr_compositor.h>
#undef static
}

#include <list>
#include <vector>

#include "wlgpu/sync.hpp"
#include "wlgpu/sync_wl.hpp"

struct wlgpu_implicit_sync {
    wl_listener new_surface{}, destroy{};
    wl_list surfaces;  // SurfaceSync::link
};

namespace wlgpu::wlr::detail {
namespace {

struct SurfaceSync;

// One held commit: its lock and the fences still to wait for (one watched at a time).
struct HeldCommit {
    SurfaceSync* owner = nullptr;
    uint32_t seq = 0;
    std::vector<sync::Fd> fences;
    sync::EventLoop::SourcePtr watch;
};

struct SurfaceSync {
    wlr_surface* surface = nullptr;
    std::unique_ptr<sync::WlEventLoop> loop;
    std::list<HeldCommit> held;
    wl_listener client_commit{}, destroy{};
    wl_list link{};
};

void watch_next(std::list<HeldCommit>::iterator it);

void fence_ready(std::list<HeldCommit>::iterator it) {
    it->fences.pop_back();
    it->watch.reset();
    watch_next(it);
}

// Watches the next unsignalled fence of the commit, or releases the commit when none is left.
void watch_next(std::list<HeldCommit>::iterator it) {
    while (!it->fences.empty() && sync::fence_signalled(it->fences.back().get())) it->fences.pop_back();
    SurfaceSync* s = it->owner;
    if (it->fences.empty()) {
        uint32_t seq = it->seq;
        s->held.erase(it);
        wlr_surface_unlock_cached(s->surface, seq);  // may apply the commit (and more): last
        return;
    }
    it->watch = s->loop->watch_fd(it->fences.back().get(), [it] { fence_ready(it); });
}

// The write fences of every distinct plane of the pending DMA-BUF that have not signalled.
std::vector<sync::Fd> pending_fences(wlr_buffer* buffer) {
    std::vector<sync::Fd> out;
    wlr_dmabuf_attributes attrs{};
    if (!buffer || !wlr_buffer_get_dmabuf(buffer, &attrs)) return out;
    for (int i = 0; i < attrs.n_planes && i < WLR_DMABUF_MAX_PLANES; i++) {
        bool seen = false;
        for (int j = 0; j < i; j++) seen |= attrs.fd[j] == attrs.fd[i];
        if (seen) continue;
        auto f = sync::dmabuf_write_fences(attrs.fd[i]);
        if (!f) {
            log_error("implicit sync: client buffer %p (%s) plane %d: %s; not waiting for it", (void*)buffer,
                      describe(attrs).c_str(), i, error_text(f.error()));
            continue;
        }
        if (*f) out.push_back(std::move(*f));
    }
    return out;
}

void surface_client_commit(wl_listener* l, void*) {
    SurfaceSync* s = wl_container_of(l, static_cast<SurfaceSync*>(nullptr), client_commit);
    wlr_surface* surface = s->surface;
    if (!(surface->pending.committed & WLR_SURFACE_STATE_BUFFER)) return;
    std::vector<sync::Fd> fences = pending_fences(surface->pending.buffer);
    if (fences.empty()) return;
    log_debug("implicit sync: holding a commit of surface %p until %zu fence(s) of buffer %p signal", (void*)surface,
              fences.size(), (void*)surface->pending.buffer);
    s->held.push_back(HeldCommit{s, wlr_surface_lock_pending(surface), std::move(fences), nullptr});
    watch_next(std::prev(s->held.end()));
}

void surface_sync_destroy(SurfaceSync* s) {
    wl_list_remove(&s->client_commit.link);
    wl_list_remove(&s->destroy.link);
    wl_list_remove(&s->link);
    delete s;  // held commits go with the surface: their sources are removed, nothing unlocked
}

void surface_destroy(wl_listener* l, void*) {
    surface_sync_destroy(wl_container_of(l, static_cast<SurfaceSync*>(nullptr), destroy));
}

void new_surface(wl_listener* l, void* data) {
    wlgpu_implicit_sync* is = wl_container_of(l, static_cast<wlgpu_implicit_sync*>(nullptr), new_surface);
    auto* surface = static_cast<wlr_surface*>(data);
    auto* s = new SurfaceSync();
    s->surface = surface;
    wl_display* display = wl_client_get_display(wl_resource_get_client(surface->resource));
    s->loop = std::make_unique<sync::WlEventLoop>(wl_display_get_event_loop(display));
    s->client_commit.notify = surface_client_commit;
    wl_signal_add(&surface->events.client_commit, &s->client_commit);
    s->destroy.notify = surface_destroy;
    wl_signal_add(&surface->events.destroy, &s->destroy);
    wl_list_insert(&is->surfaces, &s->link);
}

void compositor_destroy(wl_listener* l, void*) {
    wlgpu_implicit_sync* is = wl_container_of(l, static_cast<wlgpu_implicit_sync*>(nullptr), destroy);
    SurfaceSync *s, *tmp;
    wl_list_for_each_safe(s, tmp, &is->surfaces, link) surface_sync_destroy(s);
    wl_list_remove(&is->new_surface.link);
    wl_list_remove(&is->destroy.link);
    delete is;
}

}  // namespace
}  // namespace wlgpu::wlr::detail

extern "C" wlgpu_implicit_sync* wlgpu_implicit_sync_create(wlr_compositor* compositor) {
    using namespace wlgpu::wlr::detail;
    if (!compositor) return nullptr;
    auto* is = new wlgpu_implicit_sync();
    wl_list_init(&is->surfaces);
    is->new_surface.notify = new_surface;
    wl_signal_add(&compositor->events.new_surface, &is->new_surface);
    is->destroy.notify = compositor_destroy;
    wl_signal_add(&compositor->events.destroy, &is->destroy);
    return is;
}
