// The surface sync helper (wlgpu_surface_sync_create, wlgpu/wlr.h): a surface commit is held
// (wlr_surface_lock_pending) until the buffer it brings is safe to read, waiting on the
// compositor's event loop, never on its thread:
//   - explicit sync (linux-drm-syncobj-v1, wlroots' own manager): on the renderer's "cpu"
//     acquire path (drivers whose GPU-side wait blocks the submitting thread: lavapipe) until
//     the commit's acquire point has signalled; on the "gpu" path wlroots' wait_timeline
//     suffices and nothing is held. An acquire point that stays unsignalled past the timeout is
//     logged with the client's name; the commit stays held until it signals or the surface goes.
//     A non-DMA-BUF buffer with an acquire point is the protocol's unsupported_buffer error.
//     wlroots 0.20: the release point is tied to the buffer's release (as 0.19's scene does).
//   - implicit sync (DMA-BUFs without an acquire point): until the buffer's dma-buf write
//     fences have signalled, so that wlgpu's CPU copy of a read-only dma-buf (or any read at
//     commit time) does not see the buffer before the client's GPU has finished writing it.
// The surface keeps its previous content meanwhile; other clients are not delayed.
#include "internal.hpp"

extern "C" {
#define static
#include <wlr/render/drm_syncobj.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_linux_drm_syncobj_v1.h>
#undef static
}

#include <chrono>
#include <cstdio>
#include <cstring>
#include <format>
#include <list>
#include <unordered_map>
#include <vector>

#include "common/pixel_format.hpp"
#include "wlgpu/sync.hpp"
#include "wlgpu/sync_wl.hpp"
#include "wlgpu/wlr_sync.h"

namespace wlgpu::wlr::detail {
namespace {
struct SurfaceSync;

// What one client's surfaces make the renderer hold: their latest committed buffers.
struct ClientBudget {
    uint64_t bytes = 0;    // buffer_charge() of each
    uint32_t buffers = 0;  // surfaces with a buffer
};
constexpr uint64_t kDefaultClientBytes = uint64_t(2) << 30;
constexpr uint32_t kDefaultClientBuffers = 1024;
}
}  // namespace wlgpu::wlr::detail

struct wlgpu_surface_sync {
    wl_listener new_surface{}, destroy{}, renderer_destroy{};
    wlr_compositor* compositor = nullptr;
    wl_list surfaces;                    // SurfaceSync::link
    wlr_renderer* renderer = nullptr;    // wlgpu's, or nullptr: no commit is held
    wl_event_loop* loop = nullptr;
    const char* path = nullptr;          // "gpu", "cpu", or nullptr (no explicit sync)
    bool hold_acquire = false;           // cpu path: commits wait for their acquire point
    uint32_t acquire_timeout_ms = 0;
    uint64_t client_max_bytes = wlgpu::wlr::detail::kDefaultClientBytes;
    uint32_t client_max_buffers = wlgpu::wlr::detail::kDefaultClientBuffers;
    std::unordered_map<wl_client*, wlgpu::wlr::detail::ClientBudget> budgets;
    std::unique_ptr<wlgpu::wlr::detail::CopyWorker> copier;  // started with the first big copy
    long commits = 0, held = 0, timeouts = 0, errors = 0, refused = 0, over_budget = 0;
    long copies = 0, copy_errors = 0;  // big copies made off the event loop
    double held_max_ms = 0, copy_max_ms = 0;
    std::string stats_text;
};

namespace wlgpu::wlr::detail {
namespace {

using Clock = std::chrono::steady_clock;

// ---- a held commit: wlr_surface_lock_pending until what it waits for is done, one mechanism
// for both kinds of wait (implicit: its buffer's write fences, watched one at a time on the
// event loop; explicit: its acquire point, through the renderer's wlgpu_acquire and, after the
// timeout, wlroots' timeline waiter). At most kMaxHeld per surface: a client that piles up
// commits that never become ready is disconnected instead of growing the compositor's memory
// and fd count without bound.

constexpr size_t kMaxHeld = 16;

// A held commit's copy of its buffer off the event loop (commit_copy.cpp): it starts once what
// the commit waits for is done and it is its surface's oldest held commit (a surface's copies
// run in commit order, one at a time), and the commit is applied when it is done.
enum class CopyState { none, waiting, ready, running, done };

struct Hold {
    SurfaceSync* owner = nullptr;
    uint32_t seq = 0;
    Clock::time_point started;
    // implicit sync
    std::vector<sync::Fd> fences;
    sync::EventLoop::SourcePtr watch;
    // explicit sync
    wlr_drm_syncobj_timeline* timeline = nullptr;
    uint64_t point = 0;
    wlgpu_acquire* acquire = nullptr;
    bool waiting_after_timeout = false;
    wlr_drm_syncobj_timeline_waiter waiter{};  // after the timeout: until the point signals
    // a big CPU copy of its buffer
    std::shared_ptr<CopyJob> copy;
    CopyState copy_state = CopyState::none;
    sync::EventLoop::SourcePtr copy_watch;  // running: the job's eventfd
};

struct SurfaceSync {
    wlgpu_surface_sync* sync = nullptr;
    wlr_surface* surface = nullptr;
    std::unique_ptr<sync::WlEventLoop> loop;
    std::list<Hold> held;  // stable addresses: callbacks carry Hold*
    uint64_t charged = 0;  // bytes of its latest committed buffer charged to its client (0: none)
    wl_listener client_commit{}, commit{}, destroy{};
    wl_list link{};
};

// "client 'name' (pid N) surface S": who a held commit belongs to, for log lines.
std::string describe_client(wlr_surface* surface) {
    pid_t pid = 0;
    wl_client_get_credentials(wl_resource_get_client(surface->resource), &pid, nullptr, nullptr);
    char comm[64] = "?";
    if (FILE* f = std::fopen(std::format("/proc/{}/comm", pid).c_str(), "r")) {
        if (std::fgets(comm, sizeof(comm), f)) comm[std::strcspn(comm, "\n")] = 0;
        std::fclose(f);
    }
    return std::format("client '{}' (pid {}) surface {}", comm, pid, wl_resource_get_id(surface->resource));
}

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::list<Hold>::iterator find_hold(SurfaceSync* s, const Hold* h) {
    for (auto it = s->held.begin(); it != s->held.end(); ++it)
        if (&*it == h) return it;
    return s->held.end();
}

// Frees what the hold waits with (its fences, acquire, waiter, timeline reference).
void hold_drop_waits(Hold& h) {
    h.watch.reset();
    h.fences.clear();
    wlgpu_acquire_destroy(h.acquire);
    h.acquire = nullptr;
    if (h.waiting_after_timeout) wlr_drm_syncobj_timeline_waiter_finish(&h.waiter);
    h.waiting_after_timeout = false;
    if (h.timeline) wlr_drm_syncobj_timeline_unref(h.timeline);
    h.timeline = nullptr;
}

// Frees what the hold keeps, its copy cancelled (the worker keeps its own reference to the job
// until it is done with it); the commit stays locked. For a surface going away: its commits go
// with it, nothing is unlocked.
void hold_drop(Hold& h) {
    hold_drop_waits(h);
    h.copy_watch.reset();
    if (h.copy) h.copy->cancelled = true;
    h.copy.reset();
}

void copy_start_front(SurfaceSync* s);

// What the commit waited for is done: its copy is made next, if it has one, else the commit is
// applied (unlocking may apply more: last), with its copy's rows for the upload.
void hold_release(Hold* h) {
    SurfaceSync* s = h->owner;
    wlgpu_surface_sync* ss = s->sync;
    auto it = find_hold(s, h);
    if (it == s->held.end()) return;
    if (h->copy_state == CopyState::waiting) {
        h->copy_state = CopyState::ready;
        hold_drop_waits(*h);
    }
    if (h->copy_state == CopyState::ready || h->copy_state == CopyState::running) return copy_start_front(s);
    const double held = ms_since(h->started);
    ss->held_max_ms = std::max(ss->held_max_ms, held);
    if (h->timeline && held >= 100)
        log_info("explicit sync: %s: acquire point %llu held %.0f ms", describe_client(s->surface).c_str(),
                 (unsigned long long)h->point, held);
    const uint32_t seq = h->seq;
    const std::shared_ptr<CopyJob> copy = std::move(h->copy);
    hold_drop(*h);
    s->held.erase(it);
    copy_start_front(s);  // the next one's copy may start now (it is applied after this one)
    CopiedRows copied(ss->renderer, copy.get());
    wlr_surface_unlock_cached(s->surface, seq);
}

// ---- big copies off the event loop (commit_copy.cpp)

void copy_done(Hold* h) {
    wlgpu_surface_sync* ss = h->owner->sync;
    h->copy_watch.reset();  // the eventfd stays readable
    h->copy_state = CopyState::done;
    const CopyJob& job = *h->copy;
    ss->copy_max_ms = std::max(ss->copy_max_ms, job.ms);
    if (job.rows) {
        ss->copies++;
        log_debug("surface sync: %s: rows [%u, %u) of buffer %p copied off the event loop in %.1f ms",
                  describe_client(h->owner->surface).c_str(), job.first, job.end, (void*)job.buffer, job.ms);
    } else {
        ss->copy_errors++;
        log_error("surface sync: %s: copying buffer %p off the event loop failed: %s; it is read at commit",
                  describe_client(h->owner->surface).c_str(), (void*)job.buffer, job.error.c_str());
    }
    hold_release(h);
}

// Starts the copy of the surface's oldest held commit where what it waits for is done.
void copy_start_front(SurfaceSync* s) {
    if (s->held.empty()) return;
    Hold* h = &s->held.front();
    if (h->copy_state != CopyState::ready) return;
    wlgpu_surface_sync* ss = s->sync;
    if (auto opened = open_commit_copy(*h->copy); !opened) {
        ss->copy_errors++;
        log_error("surface sync: %s: cannot copy buffer %p off the event loop: %s; it is read at commit",
                  describe_client(s->surface).c_str(), (void*)h->copy->buffer, error_text(opened.error()));
        h->copy.reset();
        h->copy_state = CopyState::done;
        return hold_release(h);
    }
    if (!ss->copier) ss->copier = std::make_unique<CopyWorker>();
    h->copy_state = CopyState::running;
    h->copy_watch = s->loop->watch_fd(h->copy->done.get(), [h] { copy_done(h); });
    ss->copier->push(h->copy);
}

// Takes the commit being made; nullptr (and the client disconnected) past kMaxHeld.
Hold* hold_begin(SurfaceSync* s) {
    if (s->held.size() >= kMaxHeld) {
        s->sync->refused++;
        std::string who = describe_client(s->surface);
        log_error("surface sync: %s has %zu commits waiting for fences that have not signalled; disconnecting it "
                  "(limit %zu)", who.c_str(), s->held.size(), kMaxHeld);
        // Rejected, not applied: an unsignalled buffer must never reach the renderer.
        wl_resource* display = wl_client_get_object(wl_resource_get_client(s->surface->resource), 1);
        wlr_surface_reject_pending(s->surface, display ? display : s->surface->resource,
                                   WL_DISPLAY_ERROR_IMPLEMENTATION,
                                   "more than %zu commits of a surface wait for unsignalled fences", kMaxHeld);
        return nullptr;
    }
    Hold& h = s->held.emplace_back();
    h.owner = s;
    h.started = Clock::now();
    h.seq = wlr_surface_lock_pending(s->surface);
    return &h;
}

// ---- implicit sync

void watch_next(Hold* h);

void fence_ready(Hold* h) {
    h->fences.pop_back();
    h->watch.reset();
    watch_next(h);
}

// Watches the next unsignalled fence of the commit, or releases the commit when none is left.
void watch_next(Hold* h) {
    while (!h->fences.empty() && sync::fence_signalled(h->fences.back().get())) h->fences.pop_back();
    if (h->fences.empty()) return hold_release(h);
    h->watch = h->owner->loop->watch_fd(h->fences.back().get(), [h] { fence_ready(h); });
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

void hold_for_write_fences(SurfaceSync* s) {
    wlr_surface* surface = s->surface;
    std::vector<sync::Fd> fences = pending_fences(surface->pending.buffer);
    if (fences.empty()) return;
    log_debug("implicit sync: holding a commit of surface %p until %zu fence(s) of buffer %p signal", (void*)surface,
              fences.size(), (void*)surface->pending.buffer);
    Hold* h = hold_begin(s);
    if (!h) return;
    h->fences = std::move(fences);
    watch_next(h);
}

// ---- explicit sync (cpu path)

// The linux-drm-syncobj-v1 state that the commit being made carries. wlroots returns the
// surface's current state; the pending one sits at the same index of the surface states'
// synced arrays (one slot per wlr_surface_synced, wlr_compositor.h).
wlr_linux_drm_syncobj_surface_v1_state* pending_syncobj_state(wlr_surface* surface) {
    auto* cur = wlr_linux_drm_syncobj_v1_get_surface_state(surface);
    if (!cur) return nullptr;
    auto** c = static_cast<void**>(surface->current.synced.data);
    auto** p = static_cast<void**>(surface->pending.synced.data);
    size_t n = surface->current.synced.size / sizeof(void*);
    if (surface->pending.synced.size / sizeof(void*) != n) return nullptr;
    for (size_t i = 0; i < n; i++)
        if (c[i] == cur) return static_cast<wlr_linux_drm_syncobj_surface_v1_state*>(p[i]);
    return nullptr;
}

void waiter_ready(wlr_drm_syncobj_timeline_waiter* waiter) {
    Hold* h = wl_container_of(waiter, static_cast<Hold*>(nullptr), waiter);
    log_info("explicit sync: %s: acquire point %llu signalled %.0f ms after the commit; applying it",
              describe_client(h->owner->surface).c_str(), (unsigned long long)h->point, ms_since(h->started));
    hold_release(h);
}

void acquired(void* data, enum wlgpu_acquire_status status, const char* message) {
    auto* h = static_cast<Hold*>(data);
    wlgpu_surface_sync* ss = h->owner->sync;
    if (status == WLGPU_ACQUIRE_READY) return hold_release(h);
    if (status == WLGPU_ACQUIRE_TIMED_OUT) {
        // The client is named, its surface keeps its previous content, nobody else waits; the
        // commit stays held until the point does signal.
        ss->timeouts++;
        log_error("explicit sync: %s", message);
        wlgpu_acquire_destroy(h->acquire);  // finished: destroying it in its callback is fine
        h->acquire = nullptr;
        if (wlr_drm_syncobj_timeline_waiter_init(&h->waiter, h->timeline, h->point, 0, ss->loop, waiter_ready)) {
            h->waiting_after_timeout = true;
            return;
        }
        log_error("explicit sync: cannot keep waiting for the point; applying the commit");
        return hold_release(h);
    }
    ss->errors++;
    log_error("explicit sync: %s; applying the commit without waiting", message);
    hold_release(h);
}

// Waits for h's acquire point through the renderer (wlgpu_acquire); releases h when that cannot
// be done.
void hold_wait_acquire(SurfaceSync* s, Hold* h) {
    wlgpu_surface_sync* ss = s->sync;
    // The callback may run before this returns (already signalled): h is gone then.
    wlgpu_acquire* a =
        wlgpu_acquire_create(ss->renderer, h->timeline, h->point, describe_client(s->surface).c_str(), acquired, h);
    const bool still_held = find_hold(s, h) != s->held.end();
    if (!a) {
        ss->errors++;
        if (still_held) hold_release(h);
        return;
    }
    if (still_held && !h->waiting_after_timeout) {
        h->acquire = a;
        ss->held++;
    } else {
        wlgpu_acquire_destroy(a);
    }
}

void hold_for_acquire(SurfaceSync* s, wlr_linux_drm_syncobj_surface_v1_state* st) {
    s->sync->commits++;
    Hold* h = hold_begin(s);
    if (!h) return;
    h->timeline = wlr_drm_syncobj_timeline_ref(st->acquire_timeline);
    h->point = st->acquire_point;
    hold_wait_acquire(s, h);
}

// A new renderer (device loss): the acquires pending on the old one are cancelled and made again
// on the new one (or the commits applied, where it does not hold commits for acquire points).
void rewait_acquires(wlgpu_surface_sync* ss) {
    std::vector<std::pair<SurfaceSync*, Hold*>> pending;
    SurfaceSync* s;
    wl_list_for_each(s, &ss->surfaces, link) {
        for (Hold& h : s->held) {
            if (!h.acquire) continue;
            wlgpu_acquire_destroy(h.acquire);
            h.acquire = nullptr;
            pending.emplace_back(s, &h);
        }
    }
    for (auto [surface, h] : pending) {
        if (find_hold(surface, h) == surface->held.end()) continue;  // released by an earlier one's callback
        if (ss->hold_acquire) hold_wait_acquire(surface, h);
        else hold_release(h);
    }
    if (!pending.empty())
        log_info("surface sync: %zu acquire wait(s) moved to the new renderer", pending.size());
}

wl_iterator_result find_syncobj_surface(wl_resource* r, void* data) {
    if (std::strcmp(wl_resource_get_class(r), "wp_linux_drm_syncobj_surface_v1") != 0) return WL_ITERATOR_CONTINUE;
    *static_cast<wl_resource**>(data) = r;
    return WL_ITERATOR_STOP;
}

// ---- per-client budget: a client cannot make the renderer hold more than client_max_bytes of
// textures (each surface's latest buffer, counted by buffer_charge) nor more than
// client_max_buffers imported buffers, however many surfaces it creates.

void budget_set(SurfaceSync* s, uint64_t charge) {
    auto& budgets = s->sync->budgets;
    wl_client* client = wl_resource_get_client(s->surface->resource);
    ClientBudget& c = budgets[client];
    c.bytes = c.bytes - s->charged + charge;
    c.buffers = c.buffers - (s->charged ? 1 : 0) + (charge ? 1 : 0);
    s->charged = charge;
    if (c.buffers == 0) budgets.erase(client);
}

// Charges the pending commit's buffer to the client; false (the commit rejected and the client
// disconnected, its name and the limit logged) when that would pass a limit.
bool budget_admit(SurfaceSync* s) {
    wlr_surface* surface = s->surface;
    if (!(surface->pending.committed & WLR_SURFACE_STATE_BUFFER)) return true;
    const uint64_t charge = buffer_charge(surface->pending.buffer);
    wlgpu_surface_sync* ss = s->sync;
    const auto it = ss->budgets.find(wl_resource_get_client(surface->resource));
    const ClientBudget now = it == ss->budgets.end() ? ClientBudget{} : it->second;
    const uint64_t bytes = now.bytes - s->charged + charge;
    const uint32_t buffers = now.buffers - (s->charged ? 1 : 0) + (charge ? 1 : 0);
    if (charge > s->charged && bytes > ss->client_max_bytes) {
        ss->over_budget++;
        log_error("surface sync: %s: a %dx%d buffer would make the client's buffers %llu bytes (limit %llu); "
                  "disconnecting it",
                  describe_client(surface).c_str(), surface->pending.buffer->width, surface->pending.buffer->height,
                  (unsigned long long)bytes, (unsigned long long)ss->client_max_bytes);
    } else if (buffers > now.buffers && buffers > ss->client_max_buffers) {
        ss->over_budget++;
        log_error("surface sync: %s: the client's surfaces would hold %u buffers (limit %u); disconnecting it",
                  describe_client(surface).c_str(), buffers, ss->client_max_buffers);
    } else {
        budget_set(s, charge);
        return true;
    }
    wl_resource* display = wl_client_get_object(wl_resource_get_client(surface->resource), 1);
    wlr_surface_reject_pending(surface, display ? display : surface->resource, WL_DISPLAY_ERROR_NO_MEMORY,
                               "the client's buffers exceed the compositor's limit");
    return false;
}

// The commit being made, when its upload would be a big CPU copy: held (after whatever else it
// waits for) while the copy worker copies its buffer. Not past kMaxHeld: the commit is then
// copied when it is applied, as without this.
void hold_for_copy(SurfaceSync* s) {
    wlr_surface* surface = s->surface;
    if (!s->sync->renderer || !(surface->pending.committed & WLR_SURFACE_STATE_BUFFER)) return;
    if (s->held.size() >= kMaxHeld) return;
    auto job = plan_commit_copy(get_renderer(s->sync->renderer), surface);
    if (!job) return;
    const bool own = !s->held.empty() && s->held.back().seq == surface->pending.seq;  // its fences' hold
    Hold* h = own ? &s->held.back() : hold_begin(s);
    if (!h) return;
    h->copy = std::move(job);
    h->copy_state = CopyState::waiting;
    if (!own) hold_release(h);  // nothing else to wait for: the copy starts
}

void surface_client_commit(wl_listener* l, void*) {
    SurfaceSync* s = wl_container_of(l, static_cast<SurfaceSync*>(nullptr), client_commit);
    wlr_surface* surface = s->surface;
    if (!budget_admit(s)) return;
    if (!(surface->pending.committed & WLR_SURFACE_STATE_BUFFER) || !surface->pending.buffer) return;
    wlr_linux_drm_syncobj_surface_v1_state* st = pending_syncobj_state(surface);
    if (st && st->acquire_timeline) {
        // The protocol allows only DMA-BUFs with explicit sync (unsupported_buffer); wlroots
        // does not check, and its release path asserts on a memory buffer.
        wlr_dmabuf_attributes dmabuf{};
        if (!wlr_buffer_get_dmabuf(surface->pending.buffer, &dmabuf)) {
            wl_resource* res = nullptr;
            wl_client_for_each_resource(wl_resource_get_client(surface->resource), find_syncobj_surface, &res);
            log_error("explicit sync: %s committed a non-DMA-BUF buffer with an acquire point: protocol error "
                      "unsupported_buffer",
                      describe_client(surface).c_str());
            wlr_surface_reject_pending(surface, res ? res : surface->resource, 2 /* unsupported_buffer */,
                                       "explicit sync needs a linux-dmabuf buffer");
            return;
        }
        if (s->sync->hold_acquire) hold_for_acquire(s, st);
        return hold_for_copy(s);
    }
    if (s->sync->renderer) hold_for_write_fences(s);
    hold_for_copy(s);
}

#if WLGPU_WLR_020
// wlroots 0.20 signals a client's release point when the next buffer is committed unless
// release points were added; the scene adds them only for outputs with a DRM timeline. Tie the
// release to the buffer being released instead, as 0.19's scene does.
void surface_commit(wl_listener* l, void*) {
    SurfaceSync* s = wl_container_of(l, static_cast<SurfaceSync*>(nullptr), commit);
    wlr_surface* surface = s->surface;
    auto* st = wlr_linux_drm_syncobj_v1_get_surface_state(surface);
    if (st && (surface->current.committed & WLR_SURFACE_STATE_BUFFER) && surface->buffer &&
        surface->buffer->source && surface->buffer->source->n_locks > 0)
        wlr_linux_drm_syncobj_v1_state_signal_release_with_buffer(st, surface->buffer->source);
}
#endif

void surface_sync_destroy(SurfaceSync* s) {
    for (Hold& h : s->held) hold_drop(h);  // the commits go with the surface: nothing unlocked
    budget_set(s, 0);
    wl_list_remove(&s->client_commit.link);
    wl_list_remove(&s->commit.link);
    wl_list_remove(&s->destroy.link);
    wl_list_remove(&s->link);
    delete s;
}

void surface_destroy(wl_listener* l, void*) {
    surface_sync_destroy(wl_container_of(l, static_cast<SurfaceSync*>(nullptr), destroy));
}

void new_surface(wl_listener* l, void* data) {
    wlgpu_surface_sync* ss = wl_container_of(l, static_cast<wlgpu_surface_sync*>(nullptr), new_surface);
    auto* surface = static_cast<wlr_surface*>(data);
    auto* s = new SurfaceSync();
    s->sync = ss;
    s->surface = surface;
    s->loop = std::make_unique<sync::WlEventLoop>(ss->loop);
    s->client_commit.notify = surface_client_commit;
    wl_signal_add(&surface->events.client_commit, &s->client_commit);
#if WLGPU_WLR_020
    s->commit.notify = surface_commit;
    wl_signal_add(&surface->events.commit, &s->commit);
#else
    wl_list_init(&s->commit.link);
#endif
    s->destroy.notify = surface_destroy;
    wl_signal_add(&surface->events.destroy, &s->destroy);
    wl_list_insert(&ss->surfaces, &s->link);
}

void compositor_destroy(wl_listener* l, void*) {
    wlgpu_surface_sync* ss = wl_container_of(l, static_cast<wlgpu_surface_sync*>(nullptr), destroy);
    SurfaceSync *s, *tmp;
    wl_list_for_each_safe(s, tmp, &ss->surfaces, link) surface_sync_destroy(s);
    ss->copier.reset();  // after its current job
    wl_list_remove(&ss->new_surface.link);
    wl_list_remove(&ss->destroy.link);
    wl_list_remove(&ss->renderer_destroy.link);
    delete ss;
}

void renderer_destroy(wl_listener* l, void* data);

// Takes renderer (nullptr: none) and listens for its destruction.
void use_renderer(wlgpu_surface_sync* ss, wlr_renderer* renderer) {
    wl_list_remove(&ss->renderer_destroy.link);
    wl_list_init(&ss->renderer_destroy.link);
    if (renderer) {
        ss->renderer_destroy.notify = renderer_destroy;
        wl_signal_add(&renderer->events.destroy, &ss->renderer_destroy);
    }
    ss->renderer = nullptr;
    ss->path = nullptr;
    ss->hold_acquire = false;
    if (renderer && wlr_renderer_is_wlgpu(renderer)) {
        ss->renderer = renderer;
        ss->path = wlgpu_renderer_init_explicit_sync(renderer, ss->loop, ss->acquire_timeout_ms);  // NULL: no timeline
        ss->hold_acquire = ss->path && std::strcmp(ss->path, "cpu") == 0;
    } else if (renderer && renderer->features.timeline) {
        ss->path = "gpu";  // wlroots' own renderers wait for the acquire point themselves
    }
}

// A surface's texture belongs to the renderer that made it, and wlroots makes a new one only at
// the surface's next commit (wlr_compositor_set_renderer updates no texture): after a device loss
// a client that does not commit again would stay blank. Its buffer is imported again by the new
// renderer where wlroots still has it (client_buffer->source: a DMA-BUF is kept by its texture, a
// wl_shm buffer while the client keeps its wl_buffer; a released shm buffer shows what the client
// has drawn into it since) and the texture swapped. Relies on wlr_client_buffer's private
// renderer_destroy listener (the same in 0.19 and 0.20; this file is built against both).
void reimport_surfaces(wlgpu_surface_sync* ss, wlr_renderer* next) {
    int done = 0, missing = 0, failed = 0;
    SurfaceSync* s;
    wl_list_for_each(s, &ss->surfaces, link) {
        wlr_client_buffer* cb = s->surface->buffer;
        if (!cb) continue;
        if (!cb->source) {
            missing++;
            continue;
        }
        wlr_texture* t = wlr_texture_from_buffer(next, cb->source);
        if (!t) {
            failed++;
            continue;
        }
        wlr_texture_destroy(cb->texture);
        cb->texture = t;
        // wlroots drops a client buffer's texture when the texture's renderer is destroyed
        // (its private renderer_destroy listener, on the old renderer's signal, which is being
        // emitted now and would destroy the new texture too): it follows the texture instead.
        wl_list_remove(&cb->WLR_PRIVATE.renderer_destroy.link);
        wl_signal_add(&next->events.destroy, &cb->WLR_PRIVATE.renderer_destroy);
        done++;
    }
    if (done + missing + failed)
        log_info("surface sync: new renderer: %d surfaces' buffers imported again, %d without their buffer (shown "
                 "at their next commit), %d failed",
                 done, missing, failed);
}

// The renderer goes (emitted before it frees anything): after a device loss the compositor has
// its new one already (wlr_compositor_set_renderer first, as sway does); at shutdown none.
void renderer_destroy(wl_listener* l, void* data) {
    wlgpu_surface_sync* ss = wl_container_of(l, static_cast<wlgpu_surface_sync*>(nullptr), renderer_destroy);
    wlr_renderer* next = ss->compositor->renderer;
    if (next == static_cast<wlr_renderer*>(data)) next = nullptr;
    use_renderer(ss, next);
    if (next) reimport_surfaces(ss, next);
    rewait_acquires(ss);
}

}  // namespace

uint64_t buffer_charge(wlr_buffer* buffer) {
    if (!buffer) return 0;
    const uint32_t w = uint32_t(buffer->width), h = uint32_t(buffer->height);
    uint32_t format = 0;
    wlr_dmabuf_attributes dmabuf{};
    wlr_shm_attributes shm{};
    if (wlr_buffer_get_dmabuf(buffer, &dmabuf)) format = dmabuf.format;
    else if (wlr_buffer_get_shm(buffer, &shm)) format = shm.format;
    const pixel::PixelFormat* f = pixel::find(format);
    return f ? pixel::image_bytes(*f, w, h) : uint64_t(w) * h * 4;
}

}  // namespace wlgpu::wlr::detail

extern "C" {

wlgpu_surface_sync* wlgpu_surface_sync_create(wlr_compositor* compositor, wlr_renderer* renderer,
                                              uint32_t acquire_timeout_ms) {
    using namespace wlgpu::wlr::detail;
    if (!compositor) return nullptr;
    auto* ss = new wlgpu_surface_sync();
    wl_list_init(&ss->surfaces);
    wl_list_init(&ss->renderer_destroy.link);
    ss->compositor = compositor;
    ss->loop = wl_display_get_event_loop(wl_global_get_display(compositor->global));
    ss->acquire_timeout_ms = acquire_timeout_ms;
    use_renderer(ss, renderer);
    ss->new_surface.notify = new_surface;
    wl_signal_add(&compositor->events.new_surface, &ss->new_surface);
    ss->destroy.notify = compositor_destroy;
    wl_signal_add(&compositor->events.destroy, &ss->destroy);
    return ss;
}

const char* wlgpu_surface_sync_get_path(wlgpu_surface_sync* sync) { return sync ? sync->path : nullptr; }

void wlgpu_surface_sync_set_client_limits(wlgpu_surface_sync* sync, uint64_t max_bytes, uint32_t max_buffers) {
    using namespace wlgpu::wlr::detail;
    if (!sync) return;
    sync->client_max_bytes = max_bytes ? max_bytes : kDefaultClientBytes;
    sync->client_max_buffers = max_buffers ? max_buffers : kDefaultClientBuffers;
}

const char* wlgpu_surface_sync_get_stats(wlgpu_surface_sync* sync) {
    if (!sync) return "";
    sync->stats_text = std::format(
        "path={} wait_in_loop={} commits={} held={} held_max_ms={:.1f} timeouts={} errors={} refused={} "
        "over_budget={} copies_off_loop={} copy_errors={} copy_max_ms={:.1f}",
        sync->path ? sync->path : "none", int(sync->hold_acquire), sync->commits, sync->held, sync->held_max_ms,
        sync->timeouts, sync->errors, sync->refused, sync->over_budget, sync->copies, sync->copy_errors,
        sync->copy_max_ms);
    return sync->stats_text.c_str();
}

}  // extern "C"
