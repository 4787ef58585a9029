// Big CPU copies of a commit made off the event loop. Where a commit's upload would make the CPU
// copy at least kOffLoopBytes of client memory (a wl_shm pool not sealed against shrinking, which
// the GPU may not copy out of; a read-only DMA-BUF that only the copy path shows), the surface
// sync (surface_sync.cpp) holds the commit and the copy worker (one thread per surface sync)
// copies the rows the upload needs into memory the compositor owns (RowCopy): a wl_shm pool with
// pread(2) on a dup of its fd (a truncated pool is a short read, not a SIGBUS), a dma-buf with
// read_dmabuf_rows (the copy path's own read, on a dup of its fd). No Dawn call and no wlroots
// object on the worker. When it is done (an eventfd on the event loop) the commit is applied
// with the copy in scope (CopiedRows): the upload (upload_memory, the DMA-BUF copy path) takes
// it instead of reading client memory. What the worker owns (the fd dups, the copy) is its
// job's, shared with the hold: a client that destroys its buffer or surface, or disconnects,
// only cancels it.
#include "internal.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <format>

extern "C" {
#define static
#include <wlr/types/wlr_compositor.h>
#include <wlr/util/region.h>
#undef static
}

#include "common/signals_blocked.hpp"

namespace wlgpu::wlr::detail {
namespace {

// The rows [first, end) of an h-row buffer that the commit's upload copies: the bounding rows
// of its damage where wlroots updates the surface's texture in place (update_from_buffer: the
// surface shows a buffer of the same size), else all of them (a new texture is a whole upload).
// Surface damage counts as buffer damage where no transform or viewport changes coordinates;
// otherwise all rows.
std::pair<uint32_t, uint32_t> commit_rows(wlr_surface* surface, wlr_buffer* buffer, bool same_buffer_only) {
    const uint32_t h = uint32_t(buffer->height);
    const wlr_client_buffer* shown = surface->buffer;
    const bool in_place = shown && shown->base.width == buffer->width && shown->base.height == buffer->height &&
                          (!same_buffer_only || shown->source == buffer);
    const wlr_surface_state& p = surface->pending;
    if (!in_place || p.transform != WL_OUTPUT_TRANSFORM_NORMAL || p.viewport.has_src || p.viewport.has_dst)
        return {0, h};
    pixman_region32_t damage;
    pixman_region32_init(&damage);
    pixman_region32_copy(&damage, const_cast<pixman_region32_t*>(&p.surface_damage));
    wlr_region_scale(&damage, &damage, float(p.scale));
    pixman_region32_union(&damage, &damage, const_cast<pixman_region32_t*>(&p.buffer_damage));
    pixman_region32_intersect_rect(&damage, &damage, 0, 0, buffer->width, buffer->height);
    const pixman_box32_t* e = pixman_region32_extents(&damage);
    const bool empty = !pixman_region32_not_empty(&damage);
    std::pair<uint32_t, uint32_t> rows{uint32_t(e->y1), uint32_t(e->y2)};
    pixman_region32_fini(&damage);
    return empty ? std::pair<uint32_t, uint32_t>{0, 0} : rows;
}

// A job for rows of buffer where they are at least kOffLoopBytes; not past the CPU copy limit
// of a commit (DmabufImportOptions::kDefaultMaxCopyBytes: the upload refuses a bigger wl_shm
// copy, and the copy path's buffers are at most that large).
std::shared_ptr<CopyJob> new_job(wlr_buffer* buffer, uint32_t stride, std::pair<uint32_t, uint32_t> rows) {
    const uint64_t bytes = uint64_t(rows.second - rows.first) * stride;
    if (bytes < kOffLoopBytes || bytes > DmabufImportOptions::kDefaultMaxCopyBytes) return nullptr;
    auto job = std::make_shared<CopyJob>();
    job->buffer = buffer;
    job->stride = stride;
    job->height = uint32_t(buffer->height);
    job->first = rows.first;
    job->end = rows.second;
    return job;
}

// pread(2) of the rows into the copy: a pool truncated by its client is a short read.
Result<void> read_pool_rows(const CopyJob& job, RowCopy& into) {
    uint8_t* dst = into.row(into.first());
    uint64_t left = into.bytes();
    uint64_t at = job.shm_offset + uint64_t(into.first()) * into.stride();
    while (left > 0) {
        const ssize_t n = pread(job.fd.get(), dst, size_t(std::min<uint64_t>(left, 1u << 30)), off_t(at));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(Errc::system, "reading the client's pool: {}", strerror(errno));
        if (n == 0) return fail(Errc::invalid_argument, "the client's pool ends before its buffer (truncated)");
        dst += n, at += uint64_t(n), left -= uint64_t(n);
    }
    return {};
}

void run_job(CopyJob& job) {
    const auto start = std::chrono::steady_clock::now();
    auto rows = RowCopy::allocate(job.stride, job.height, job.first, job.end);
    Result<void> r = rows ? Result<void>{} : Result<void>(std::unexpected(rows.error()));
    if (rows) r = job.kind == CopyJob::Kind::shm ? read_pool_rows(job, *rows) : read_dmabuf_rows(job.dmabuf, *rows);
    if (r) job.rows.emplace(std::move(*rows));
    else job.error = error_text(r.error());
    job.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::shared_ptr<CopyJob> plan_commit_copy(WlRenderer* r, wlr_surface* surface) {
    wlr_buffer* buffer = surface->pending.buffer;
    if (!buffer || check_lost(r)) return nullptr;
    wlr_shm_attributes shm{};
    if (wlr_buffer_get_shm(buffer, &shm)) {
        // A pool sealed against shrinking is copied by the GPU (upload.cpp); a format the
        // renderer does not know is refused at the upload.
        if (memory_cannot_shrink(buffer, false) || !find_shm_format(uint32_t(shm.format))) return nullptr;
        auto job = new_job(buffer, uint32_t(shm.stride), commit_rows(surface, buffer, false));
        if (job) job->shm_offset = uint64_t(shm.offset);
        return job;
    }
    wlr_dmabuf_attributes attrs{};
    if (!wlr_buffer_get_dmabuf(buffer, &attrs) || !dmabuf_takes_copy(r, buffer, attrs)) return nullptr;
    // import_cached copies the damage only for a re-commit of the buffer the surface shows.
    auto job = new_job(buffer, attrs.stride[0], commit_rows(surface, buffer, true));
    if (job) job->kind = CopyJob::Kind::dmabuf;
    return job;
}

Result<void> open_commit_copy(CopyJob& job) {
    wlr_shm_attributes shm{};
    wlr_dmabuf_attributes attrs{};
    const bool is_shm = job.kind == CopyJob::Kind::shm;
    if (is_shm ? !wlr_buffer_get_shm(job.buffer, &shm) : !wlr_buffer_get_dmabuf(job.buffer, &attrs))
        return fail(Errc::invalid_argument, "the buffer has no {} access any more", is_shm ? "wl_shm" : "DMA-BUF");
    auto dup = sync::Fd::dup(is_shm ? shm.fd : attrs.fd[0]);
    if (!dup) return std::unexpected(dup.error());
    sync::Fd done(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!done) return fail(Errc::system, "eventfd: {}", strerror(errno));
    job.fd = std::move(*dup);
    job.done = std::move(done);
    if (!is_shm) {
        job.dmabuf = to_dmabuf(attrs);
        job.dmabuf.planes[0].fd = job.fd.get();
    }
    return {};
}

CopyWorker::CopyWorker() {
    AsyncSignalsBlocked blocked;  // the thread inherits the mask: the compositor's signals stay its own
    thread_ = std::thread([this] { run(); });
}

CopyWorker::~CopyWorker() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
}

void CopyWorker::push(std::shared_ptr<CopyJob> job) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(job));
    }
    cv_.notify_one();
}

void CopyWorker::run() {
    for (;;) {
        std::shared_ptr<CopyJob> job;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        if (!job->cancelled.load()) run_job(*job);
        const uint64_t one = 1;
        // The eventfd is the job's: it stays open while this reference lives. A write to an
        // eventfd fails only when its counter would overflow; this is its one write.
        (void)!write(job->done.get(), &one, sizeof(one));
    }
}

CopiedRows::CopiedRows(wlr_renderer* renderer, const CopyJob* job) {
    if (!renderer || !wlr_renderer_is_wlgpu(renderer) || !job || !job->rows) return;
    r_ = get_renderer(renderer);
    r_->copied_buffer = job->buffer;
    r_->copied = &*job->rows;
}

CopiedRows::~CopiedRows() {
    if (!r_) return;
    r_->copied_buffer = nullptr;
    r_->copied = nullptr;
}

const RowCopy* copied_rows(WlRenderer* r, wlr_buffer* buffer) {
    return r->copied_buffer == buffer ? r->copied : nullptr;
}

}  // namespace wlgpu::wlr::detail
