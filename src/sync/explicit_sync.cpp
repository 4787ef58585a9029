// ExplicitSync: acquire points -> GPU-side waits (or event-loop waits where the GPU-side
// path blocks the submitting thread), release points from the end-of-access fence.
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <format>
#include <mutex>
#include <thread>

#include "wlgpu/bridge.hpp"
#include "common/signals_blocked.hpp"
#include "wlgpu/sync.hpp"
#include "wlgpu/texture.hpp"

namespace wlgpu::sync {

using Clock = std::chrono::steady_clock;

std::string_view to_string(AcquirePath p) { return p == AcquirePath::gpu ? "gpu" : "cpu"; }

struct ExplicitSync::Impl {
    Bridge& bridge;
    EventLoop& loop;
    SyncOptions opts;
    Detection det;
    mutable std::mutex mu;  // stats (the release worker updates them)
    SyncStats st;

    // Release worker: waits for queue work-done futures, then signals the points.
    struct Pending {
        WGPUFuture future;
        std::shared_ptr<const Timeline> timeline;
        uint64_t point;
    };
    std::mutex wmu;
    std::condition_variable wcv;
    std::deque<Pending> work;
    bool stop = false;
    std::thread worker;

    Impl(Bridge& b, EventLoop& l, SyncOptions o) : bridge(b), loop(l), opts(std::move(o)) {}
    ~Impl() {
        if (worker.joinable()) {
            {
                std::lock_guard lk(wmu);
                stop = true;
            }
            wcv.notify_all();
            worker.join();
        }
    }

    void log(std::string_view s) const {
        if (opts.log) opts.log(s);
        else std::fprintf(stderr, "wlgpu sync: %.*s\n", int(s.size()), s.data());
    }
    template <typename F>
    void count(F&& f) {
        std::lock_guard lk(mu);
        f(st);
    }

    void run_worker() {
        for (;;) {
            Pending p;
            {
                std::unique_lock lk(wmu);
                wcv.wait(lk, [&] { return stop || !work.empty(); });
                if (work.empty()) return;
                p = std::move(work.front());
                work.pop_front();
            }
            // Waits only on this thread; the compositor's thread goes on.
            WGPUFutureWaitInfo w{p.future, false};
            WGPUWaitStatus s;
            int tries = 0;
            do s = wgpuInstanceWaitAny(bridge.instance(), 1, &w, 100'000'000);
            while (s == WGPUWaitStatus_TimedOut && ++tries < 100);
            if (s != WGPUWaitStatus_Success)
                log(std::format("release point {}: waiting for the GPU failed (status {}); signalling anyway", p.point, int(s)));
            if (auto r = p.timeline->signal(p.point); !r) log(std::format("release: {}", r.error().message));
            count([](SyncStats& s) { s.releases_pending--; });
        }
    }
};

namespace {

class AcquireImpl final : public Acquire {
public:
    AcquireImpl(ExplicitSync::Impl& s, std::shared_ptr<const Timeline> tl, uint64_t point, std::string who,
                std::function<void(AcquireResult)> done)
        : s_(s), tl_(std::move(tl)), point_(point), who_(std::move(who)), done_(std::move(done)) {}
    ~AcquireImpl() override {
        if (!finished_) s_.count([](SyncStats& st) { st.cancelled++; });
    }

    void start() {
        started_ = Clock::now();
        timer_ = s_.loop.timer(s_.opts.acquire_timeout, [this] { on_timeout(); });
        auto m = tl_->materialised(point_);
        if (!m) return finish(AcquireResult::Status::error, m.error().message);
        if (*m) return on_materialised();
        s_.count([](SyncStats& st) { st.materialise_waits++; });
        auto ev = tl_->eventfd(point_, true);
        if (!ev) return finish(AcquireResult::Status::error, ev.error().message);
        ev_ = std::move(*ev);
        watch_ = s_.loop.watch_fd(ev_.get(), [this] { on_materialised(); });
    }

private:
    void on_materialised() {
        watch_.reset();
        ev_.reset();
        auto f = tl_->export_sync_file(point_);
        if (!f) return finish(AcquireResult::Status::error, f.error().message);
        if (fence_signalled(f->get())) {
            s_.count([](SyncStats& st) { st.already_signalled++; });
            return finish(AcquireResult::Status::ready, {});
        }
        if (s_.det.path == AcquirePath::gpu) {
            s_.count([](SyncStats& st) { st.gpu_waits++; });
            fence_ = std::move(*f);
            return finish(AcquireResult::Status::ready, {});
        }
        // CPU path: the event loop waits for the sync_file (POLLIN) before the frame.
        s_.count([](SyncStats& st) { st.cpu_waits++; });
        fence_ = std::move(*f);
        watch_ = s_.loop.watch_fd(fence_.get(), [this] {
            fence_.reset();
            finish(AcquireResult::Status::ready, {});
        });
    }

    void on_timeout() {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count();
        bool mat = tl_->materialised(point_).value_or(false);
        std::string msg = std::format("{}: acquire point {} {} after {} ms; keeping the previous buffer", who_, point_,
                                      mat ? "did not signal" : "was never submitted", ms);
        s_.log(msg);
        s_.count([](SyncStats& st) { st.timeouts++; });
        finish(AcquireResult::Status::timed_out, msg);
    }

    void finish(AcquireResult::Status status, std::string message) {
        if (finished_) return;
        finished_ = true;
        watch_.reset();
        timer_.reset();
        ev_.reset();
        AcquireResult r;
        r.status = status;
        r.path = s_.det.path;
        r.signalled_at = Clock::now();
        if (status == AcquireResult::Status::ready) r.fence = std::move(fence_);
        fence_.reset();
        if (status == AcquireResult::Status::error) {
            s_.count([](SyncStats& st) { st.errors++; });
            message = std::format("{}: acquire point {}: {}", who_, point_, message);
            s_.log(message);
        }
        r.message = std::move(message);
        auto done = std::move(done_);
        tl_.reset();
        done(std::move(r));  // may destroy *this
    }

    ExplicitSync::Impl& s_;
    std::shared_ptr<const Timeline> tl_;
    uint64_t point_;
    std::string who_;
    std::function<void(AcquireResult)> done_;
    EventLoop::SourcePtr watch_, timer_;
    Fd ev_, fence_;
    Clock::time_point started_{};
    bool finished_ = false;
};

}  // namespace

ExplicitSync::ExplicitSync(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ExplicitSync::~ExplicitSync() = default;

Result<std::unique_ptr<ExplicitSync>> ExplicitSync::create(Bridge& bridge, EventLoop& loop, SyncOptions options) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    auto impl = std::make_unique<Impl>(bridge, loop, std::move(options));
    Detection& d = impl->det;
    std::optional<AcquirePath> forced = impl->opts.force_path;
    if (!forced)
        if (const char* e = std::getenv("WLGPU_SYNC_PATH")) {
            std::string_view v(e);
            if (v == "gpu") forced = AcquirePath::gpu;
            else if (v == "cpu") forced = AcquirePath::cpu;
        }
    if (forced) {
        d.path = *forced;
        d.method = "forced";
        d.detail = "set by the caller or WLGPU_SYNC_PATH";
    } else if (!bridge.caps().sync_fd_fence) {
        d.path = AcquirePath::cpu;
        d.method = "no SyncFD fences";
        d.detail = "the device lacks SharedFenceSyncFD";
    } else {
        bool decided = false;
        if (impl->opts.probe) {
            auto p = probe_gpu_wait_blocks(bridge);
            if (p) {
                d.path = p->blocks ? AcquirePath::cpu : AcquirePath::gpu;
                d.method = "probe";
                d.probe_submit_ms = p->submit_ms;
                d.detail = std::format("a GPU-side wait on an unsignalled vgem fence held {:.0f} ms kept the submitting "
                                       "thread {:.1f} ms: {}",
                                       p->hold_ms, p->submit_ms, p->blocks ? "it blocks" : "it does not block");
                decided = true;
            } else {
                d.detail = std::format("probe not possible ({}); ", p.error().message);
            }
        }
        if (!decided) {
            std::string why;
            bool blocks = driver_known_to_block(bridge, &why);
            d.path = blocks ? AcquirePath::cpu : AcquirePath::gpu;
            d.method = "driver";
            d.detail += why;
        }
    }
    impl->log(std::format("acquire path {} ({}: {})", to_string(d.path), d.method, d.detail));
    return std::unique_ptr<ExplicitSync>(new ExplicitSync(std::move(impl)));
}

const Detection& ExplicitSync::detection() const { return impl_->det; }

Result<std::unique_ptr<Acquire>> ExplicitSync::acquire(std::shared_ptr<const Timeline> timeline, uint64_t point,
                                                       std::string who, std::function<void(AcquireResult)> done) {
    if (!timeline || !done) return fail(Errc::invalid_argument, "acquire: no timeline or callback");
    impl_->count([](SyncStats& st) { st.acquires++; });
    auto a = std::make_unique<AcquireImpl>(*impl_, std::move(timeline), point, std::move(who), std::move(done));
    a->start();
    return a;
}

Result<void> ExplicitSync::apply(AcquireResult& ready, SharedAccess& access) {
    if (ready.status != AcquireResult::Status::ready) return fail(Errc::invalid_argument, "apply: the acquire is not ready");
    if (!ready.fence) return {};
    return access.add_wait_sync_file(ready.fence.release());
}

Result<ReleaseMode> ExplicitSync::release(SyncPoint done, std::shared_ptr<const Timeline> timeline, uint64_t point) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    if (!timeline) return fail(Errc::invalid_argument, "release: no timeline");
    auto& I = *impl_;
    I.count([](SyncStats& st) { st.releases++; });
    if (done.kind() != SyncPoint::Kind::work_done && I.opts.release != ReleaseMode::work_done) {
        Fd own(done.take_fence());  // -1 (signalled): the point is signalled now
        if (auto r = timeline->import_sync_file(point, own.get()); !r) return std::unexpected(r.error());
        I.count([](SyncStats& st) { st.releases_fence++; });
        return ReleaseMode::fence;
    }
    if (I.opts.release == ReleaseMode::fence)
        return fail(Errc::unsupported, "release point {}: the frame has no end-of-access fence (ReleaseMode::fence)",
                    point);
    // work_done: the queue's work-done future, waited for on the worker thread.
    WGPUQueueWorkDoneCallbackInfo cb{};
    cb.mode = WGPUCallbackMode_WaitAnyOnly;
    cb.callback = [](WGPUQueueWorkDoneStatus, WGPUStringView, void*, void*) {};
    WGPUFuture f = wgpuQueueOnSubmittedWorkDone(I.bridge.queue(), cb);
    {
        std::lock_guard lk(I.wmu);
        if (!I.worker.joinable()) I.worker = std::thread([&I] { I.run_worker(); });
        I.work.push_back({f, std::move(timeline), point});
    }
    I.wcv.notify_one();
    I.count([](SyncStats& st) { st.releases_work_done++, st.releases_pending++; });
    return ReleaseMode::work_done;
}

Result<void> ExplicitSync::release(SharedAccess* access, std::shared_ptr<const Timeline> timeline, uint64_t point) {
    SyncPoint done;  // work_done
    if (access && impl_->opts.release != ReleaseMode::work_done) {
        AsyncSignalsBlocked blocked;
        auto fd = access->export_end_sync_file();
        if (fd) done = SyncPoint::from_fence(fd->release());  // empty: already complete
        else if (impl_->opts.release == ReleaseMode::fence) return std::unexpected(fd.error());
    }
    if (auto r = release(std::move(done), std::move(timeline), point); !r) return std::unexpected(r.error());
    return {};
}

SyncStats ExplicitSync::stats() const {
    std::lock_guard lk(impl_->mu);
    return impl_->st;
}

std::string ExplicitSync::stats_line() const {
    SyncStats s = stats();
    return std::format("sync path={}({}) acquires={} gpu_waits={} cpu_waits={} already_signalled={} "
                       "materialise_waits={} timeouts={} errors={} cancelled={} releases={} (fence={} "
                       "work_done={} pending={})",
                       to_string(impl_->det.path), impl_->det.method, s.acquires, s.gpu_waits, s.cpu_waits,
                       s.already_signalled, s.materialise_waits, s.timeouts, s.errors, s.cancelled, s.releases,
                       s.releases_fence, s.releases_work_done, s.releases_pending);
}

}  // namespace wlgpu::sync
