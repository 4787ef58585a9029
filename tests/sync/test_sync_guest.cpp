// Explicit sync on real kernel objects (run in the test bed: scripts/testbed -- ./build/tests/test_sync_guest):
// virtio_gpu timeline syncobjs, unsignalled vgem sync_files, udmabuf textures imported into Dawn.
// On a host without /dev/dri, vgem or /dev/udmabuf every test skips with the reason.
#include <dirent.h>
#include <poll.h>

#include <atomic>
#include <cstring>
#include <chrono>
#include <random>
#include <thread>

#include "support/gpu.hpp"
#include "support/signal_mask.hpp"
#include "common/drm_nodes.hpp"
#include "common/vgem.hpp"
#include "support/udmabuf_image.hpp"
#include "wlgpu/sync.hpp"

using namespace wlgpu;
using namespace wlgpu::sync;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Kernel {
    Fd vgem, node;  // vgem primary node; the timeline (virtio_gpu) render node
    std::string why;
};

Kernel& kernel() {
    static Kernel* k = [] {
        auto* k = new Kernel();
        auto v = drm::open_node_of_driver("card", "vgem");
        auto n = drm::open_timeline_node();
        if (!v) k->why = "vgem: " + v.error().message;
        else if (!n) k->why = n.error().message;
        else if (access("/dev/udmabuf", R_OK | W_OK) != 0) k->why = "no /dev/udmabuf";
        if (k->why.empty()) k->vgem = std::move(*v), k->node = std::move(*n);
        return k;
    }();
    return *k;
}

#define NEED_KERNEL()                                                                         \
    do {                                                                                      \
        if (!kernel().why.empty()) GTEST_SKIP() << "needs the test bed's kernel objects: " << kernel().why; \
    } while (0)

int count_fds() {
    int n = 0;
    DIR* d = opendir("/proc/self/fd");
    while (auto* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;  // the DIR's own fd
}

// The handle the next syncobj gets (the kernel hands out the lowest free id): equal before
// and after a test = no syncobj leaked.
uint32_t next_syncobj_handle() {
    auto t = Timeline::create(kernel().node.get());
    return t ? t->handle() : 0;
}

bool readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, ms) == 1;
}

std::shared_ptr<Timeline> compositor_import(const Timeline& client) {
    auto fd = client.export_fd();
    if (!fd) throw std::runtime_error(fd.error().message);
    auto t = Timeline::import(kernel().node.get(), fd->get());
    if (!t) throw std::runtime_error(t.error().message);
    return std::make_shared<Timeline>(std::move(*t));
}

// A client surface: one udmabuf buffer, its Dawn import, client-side acquire/release timelines
// and the compositor's imports of them.
struct Surface {
    std::unique_ptr<test::UdmabufImage> buf;  // buf->texture's SharedAccess: access
    SharedAccess* access = nullptr;
    std::unique_ptr<Timeline> client_acquire, client_release;
    std::shared_ptr<Timeline> acquire, release;
    static std::unique_ptr<Surface> make(uint32_t w = 16, uint32_t h = 16) {
        auto s = std::make_unique<Surface>();
        auto b = test::make_udmabuf_image(test::gpu(), w, h);
        if (!b) throw std::runtime_error(b.error().message);
        s->buf = std::move(*b);
        s->access = &s->buf->access();
        s->client_acquire = std::make_unique<Timeline>(Timeline::create(kernel().node.get()).value());
        s->client_release = std::make_unique<Timeline>(Timeline::create(kernel().node.get()).value());
        s->acquire = compositor_import(*s->client_acquire);
        s->release = compositor_import(*s->client_release);
        return s;
    }
};

// "The frame that samples the buffer": BeginAccess (with the acquire fence), a copy of the
// buffer's first pixel into a readback buffer at `slot`, submit, EndAccess. Returns the
// time the calling thread spent in it.
struct Readback {
    wg::Buffer buf;
    size_t slots;
    explicit Readback(size_t n) : slots(n) {
        WGPUBufferDescriptor bd{};
        bd.size = n * 256;
        bd.usage = WGPUBufferUsage_CopyDst | WGPUBufferUsage_MapRead;
        buf = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(test::gpu().device(), &bd));
    }
    // Maps (test thread waits: verification only) and returns the RGBA word of each slot.
    std::vector<uint32_t> read() {
        auto& b = test::gpu();
        WGPUBufferMapCallbackInfo cb{};
        cb.mode = WGPUCallbackMode_WaitAnyOnly;
        WGPUMapAsyncStatus st{};
        cb.callback = [](WGPUMapAsyncStatus s, WGPUStringView, void* u, void*) { *static_cast<WGPUMapAsyncStatus*>(u) = s; };
        cb.userdata1 = &st;
        auto f = wgpuBufferMapAsync(buf.get(), WGPUMapMode_Read, 0, slots * 256, cb);
        EXPECT_TRUE(b.wait(f, 10'000'000'000ull));
        EXPECT_EQ(st, WGPUMapAsyncStatus_Success);
        std::vector<uint32_t> out(slots);
        auto* p = static_cast<const uint8_t*>(wgpuBufferGetConstMappedRange(buf.get(), 0, slots * 256));
        for (size_t i = 0; i < slots && p; i++) std::memcpy(&out[i], p + i * 256, 4);
        wgpuBufferUnmap(buf.get());
        return out;
    }
};

std::chrono::nanoseconds render_frame(Surface& s, Readback& rb, size_t slot) {
    auto t0 = Clock::now();
    EXPECT_TRUE(s.access->begin(false));
    test::read_into(*s.buf->texture, rb.buf.get(), slot * 256, 1, 1);
    EXPECT_TRUE(s.access->end());
    return Clock::now() - t0;
}

constexpr uint32_t kRed = 0xff0000ff, kGreen = 0xff00ff00;  // RGBA8 bytes R,G,B,A as a LE word

struct Logs {
    std::vector<std::string> lines;
    std::function<void(std::string_view)> fn() {
        return [this](std::string_view s) {
            lines.emplace_back(s);
            std::fprintf(stderr, "[sync log] %.*s\n", int(s.size()), s.data());
        };
    }
    bool has(std::string_view needle) const {
        for (auto& l : lines)
            if (l.find(needle) != std::string::npos) return true;
        return false;
    }
};

Detection& detected() {
    static Detection* d = [] {
        PollLoop loop;
        auto s = ExplicitSync::create(test::gpu(), loop, {});
        return new Detection(s.value()->detection());
    }();
    return *d;
}

std::unique_ptr<ExplicitSync> make_sync(PollLoop& loop, Logs& logs, AcquirePath path,
                                        ReleaseMode rm = ReleaseMode::automatic, std::chrono::milliseconds timeout = 3000ms) {
    SyncOptions o;
    o.force_path = path;
    o.release = rm;
    o.acquire_timeout = timeout;
    o.log = logs.fn();
    return ExplicitSync::create(test::gpu(), loop, std::move(o)).value();
}

}  // namespace

TEST(SyncKernel, TimelineOps) {
    NEED_KERNEL();
    int node = kernel().node.get(), vgem = kernel().vgem.get();
    ASSERT_TRUE(eventfd_supported(node)) << "DRM_IOCTL_SYNCOBJ_EVENTFD needs Linux >= 6.6";
    auto t = Timeline::create(node).value();
    EXPECT_EQ(t.query().value(), 0u);
    ASSERT_TRUE(t.signal(1));
    EXPECT_EQ(t.query().value(), 1u);
    auto sf1 = t.export_sync_file(1).value();
    EXPECT_TRUE(fence_signalled(sf1.get()));
    EXPECT_FALSE(t.materialised(2).value());
    auto bad = t.export_sync_file(2);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::invalid_argument) << bad.error().message;
    auto ev_avail3 = t.eventfd(3, true).value();
    auto f = vgem::fence(vgem).value();
    EXPECT_FALSE(fence_signalled(f.sync_file.get()));
    ASSERT_TRUE(t.import_sync_file(2, f.sync_file.get()));
    EXPECT_TRUE(t.materialised(2).value());
    EXPECT_FALSE(t.signalled(2).value());
    auto ev2 = t.eventfd(2, false).value();
    EXPECT_FALSE(readable(ev2.get(), 50));
    EXPECT_FALSE(t.wait(2, 50ms).value());
    // A second import of the same syncobj shares the points.
    auto other = compositor_import(t);
    EXPECT_FALSE(other->signalled(2).value());
    ASSERT_TRUE(vgem::signal(vgem, f.id));
    EXPECT_TRUE(readable(ev2.get(), 2000));
    EXPECT_TRUE(t.signalled(2).value());
    EXPECT_EQ(other->query().value(), 2u);
    EXPECT_FALSE(readable(ev_avail3.get(), 0));
    ASSERT_TRUE(other->signal(3));
    EXPECT_TRUE(readable(ev_avail3.get(), 2000));
    EXPECT_EQ(t.query().value(), 3u);
    // A transfer of point 3's fence into point 4 through a sync_file.
    auto sf3 = t.export_sync_file(3).value();
    ASSERT_TRUE(t.import_sync_file(4, sf3.get()));
    EXPECT_TRUE(t.signalled(4).value());
}

TEST(SyncDetect, PathMatchesMeasurement) {
    NEED_KERNEL();
    auto& d = detected();
    std::fprintf(stderr, "[sync] detected path=%s method=%s: %s\n", std::string(to_string(d.path)).c_str(),
                 d.method.c_str(), d.detail.c_str());
    ASSERT_EQ(d.method, "probe") << "the test bed has vgem and udmabuf: the probe must run";
    auto p = probe_gpu_wait_blocks(test::gpu(), 200ms).value();
    std::fprintf(stderr, "[sync] second probe: submit %.1f ms with a fence held %.0f ms\n", p.submit_ms, p.hold_ms);
    EXPECT_EQ(p.blocks, d.path == AcquirePath::cpu);
    std::string why;
    bool by_driver = driver_known_to_block(test::gpu(), &why);
    std::fprintf(stderr, "[sync] driver rule: %s -> %s\n", why.c_str(), by_driver ? "blocks" : "does not block");
    EXPECT_EQ(by_driver, p.blocks) << "the driver-identity rule disagrees with the measurement";
}

// The detected path end to end: the acquire fence is unsignalled; the compositor's loop keeps
// running (heartbeats), the content changes just before the signal, the new content is rendered.
TEST(SyncAcquire, UnsignalledAcquireDoesNotBlockAndRendersNewContent) {
    NEED_KERNEL();
    PollLoop loop;
    Logs logs;
    auto sync = make_sync(loop, logs, detected().path);
    auto s = Surface::make();
    s->buf->fill(kRed);
    auto f = vgem::fence(kernel().vgem.get()).value();
    ASSERT_TRUE(s->client_acquire->import_sync_file(1, f.sync_file.get()));
    Readback rb(1);
    int heartbeats = 0;
    std::function<void()> beat;
    EventLoop::SourcePtr hb;
    beat = [&] { heartbeats++; hb = loop.timer(10ms, beat); };
    hb = loop.timer(10ms, beat);
    Clock::time_point signalled_at{}, submitted_at{};
    bool done = false, released = false;
    std::chrono::nanoseconds frame_cost{};
    auto a = sync->acquire(s->acquire, 1, "client A surface 1", [&](AcquireResult r) {
        ASSERT_EQ(r.status, AcquireResult::Status::ready) << r.message;
        ASSERT_TRUE(sync->apply(r, *s->access));
        submitted_at = Clock::now();
        frame_cost = render_frame(*s, rb, 0);
        ASSERT_TRUE(sync->release(s->access, s->release, 1));
        done = true;
    }).value();
    auto sig = loop.timer(300ms, [&] {
        s->buf->fill(kGreen);  // the client changes the buffer just before it signals
        signalled_at = Clock::now();
        ASSERT_TRUE(vgem::signal(kernel().vgem.get(), f.id));
    });
    auto rel_ev = s->client_release->eventfd(1, false).value();
    EventLoop::SourcePtr rel_w;
    rel_w = loop.watch_fd(rel_ev.get(), [&] { released = true; rel_w.reset(); });
    auto t_end = Clock::now() + 10s;
    while ((!done || !released) && Clock::now() < t_end) loop.dispatch(100ms);
    ASSERT_TRUE(done);
    ASSERT_TRUE(released) << "the release point never signalled";
    EXPECT_EQ(rb.read()[0], kGreen) << "the GPU read the buffer before the acquire fence signalled";
    EXPECT_GE(heartbeats, 20) << "the compositor's loop did not run while the acquire was pending";
    auto busy_ms = std::chrono::duration<double, std::milli>(loop.busy_max()).count();
    std::fprintf(stderr, "[sync] path=%s heartbeats=%d longest callback %.1f ms (frame %.1f ms); submit %s the signal\n",
                 std::string(to_string(detected().path)).c_str(), heartbeats, busy_ms,
                 std::chrono::duration<double, std::milli>(frame_cost).count(),
                 submitted_at >= signalled_at ? "after" : "before");
    EXPECT_LT(busy_ms, 150.0) << "a callback blocked the loop (acquire held 300 ms)";
    if (detected().path == AcquirePath::cpu) {
        EXPECT_GE(submitted_at, signalled_at);
    }
    auto st = sync->stats();
    EXPECT_EQ(st.acquires, 1u);
    EXPECT_EQ(detected().path == AcquirePath::cpu ? st.cpu_waits : st.gpu_waits, 1u);
    std::fprintf(stderr, "[sync] %s\n", sync->stats_line().c_str());
}

// The GPU-side path, forced: the sync_file goes to BeginAccess; a helper thread changes the
// content and signals 300 ms later. The GPU must read the new content. On drivers the probe
// calls blocking, this measures the blocking the fallback avoids.
TEST(SyncAcquire, GpuSideWaitReadsNewContent) {
    NEED_KERNEL();
    PollLoop loop;
    Logs logs;
    auto sync = make_sync(loop, logs, AcquirePath::gpu);
    auto s = Surface::make();
    s->buf->fill(kRed);
    auto f = vgem::fence(kernel().vgem.get()).value();
    ASSERT_TRUE(s->client_acquire->import_sync_file(1, f.sync_file.get()));
    Readback rb(1);
    std::optional<AcquireResult> got;
    auto a = sync->acquire(s->acquire, 1, "client B", [&](AcquireResult r) { got = std::move(r); }).value();
    for (int i = 0; i < 50 && !got; i++) loop.dispatch(10ms);
    ASSERT_TRUE(got);
    ASSERT_EQ(got->status, AcquireResult::Status::ready);
    ASSERT_TRUE(got->fence) << "the GPU path hands the unsignalled fence to BeginAccess";
    ASSERT_TRUE(sync->apply(*got, *s->access));
    std::atomic<bool> release_before_signal{true};
    auto t0 = Clock::now();
    std::thread client([&] {
        std::this_thread::sleep_until(t0 + 300ms);
        s->buf->fill(kGreen);
        release_before_signal = s->client_release->signalled(1).value_or(true);
        (void)vgem::signal(kernel().vgem.get(), f.id);
    });
    auto cost = render_frame(*s, rb, 0);
    ASSERT_TRUE(sync->release(s->access, s->release, 1));
    client.join();
    EXPECT_FALSE(release_before_signal) << "the release point signalled before the acquire fence";
    EXPECT_TRUE(s->client_release->wait(1, 5s).value());
    EXPECT_EQ(rb.read()[0], kGreen) << "the GPU did not wait for the acquire fence";
    double ms = std::chrono::duration<double, std::milli>(cost).count();
    bool blocked = ms > 150;
    std::fprintf(stderr, "[sync] GPU-side wait: the submitting thread spent %.1f ms in begin+submit+end (fence held 300 ms): %s\n",
                 ms, blocked ? "BLOCKED" : "not blocked");
    EXPECT_EQ(blocked, detected().path == AcquirePath::cpu) << "detection disagrees with this measurement";
}

// Release: signalled only once the GPU work that read the buffer is done, in both modes.
TEST(SyncRelease, SignalsAfterGpuWorkInBothModes) {
    NEED_KERNEL();
    for (auto mode : {ReleaseMode::fence, ReleaseMode::work_done}) {
        SCOPED_TRACE(mode == ReleaseMode::fence ? "fence" : "work_done");
        PollLoop loop;
        Logs logs;
        auto sync = make_sync(loop, logs, detected().path, mode);
        auto s = Surface::make();
        s->buf->fill(kGreen);
        ASSERT_TRUE(s->client_acquire->signal(1));
        Readback rb(1);
        for (uint64_t pt = 1; pt <= 3; pt++) {
            std::optional<AcquireResult> got;
            if (pt > 1) {
                ASSERT_TRUE(s->client_acquire->signal(pt));
            }
            auto a = sync->acquire(s->acquire, pt, "client C", [&](AcquireResult r) { got = std::move(r); }).value();
            ASSERT_TRUE(got);
            ASSERT_TRUE(sync->apply(*got, *s->access));
            render_frame(*s, rb, 0);
            auto t_rel = Clock::now();
            ASSERT_TRUE(sync->release(s->access, s->release, pt));
            auto call_ms = std::chrono::duration<double, std::milli>(Clock::now() - t_rel).count();
            auto ev = s->client_release->eventfd(pt, false).value();
            bool seen = false;
            auto w = loop.watch_fd(ev.get(), [&] { seen = true; });
            for (int i = 0; i < 500 && !seen; i++) loop.dispatch(10ms);
            ASSERT_TRUE(seen) << "release point " << pt << " never signalled";
            // The GPU work that read the buffer is done: mapping completes without waiting.
            WGPUBufferMapCallbackInfo cb{};
            cb.mode = WGPUCallbackMode_WaitAnyOnly;
            cb.callback = [](WGPUMapAsyncStatus, WGPUStringView, void*, void*) {};
            WGPUFutureWaitInfo fw{wgpuBufferMapAsync(rb.buf.get(), WGPUMapMode_Read, 0, 256, cb), false};
            EXPECT_EQ(wgpuInstanceWaitAny(test::gpu().instance(), 1, &fw, 0), WGPUWaitStatus_Success)
                << "the release point signalled before the GPU work finished";
            if (fw.completed) {
                auto* p = static_cast<const uint32_t*>(wgpuBufferGetConstMappedRange(rb.buf.get(), 0, 256));
                EXPECT_EQ(p ? *p : 0, kGreen);
                wgpuBufferUnmap(rb.buf.get());
            } else {
                (void)test::gpu().wait(fw.future);
                wgpuBufferUnmap(rb.buf.get());
            }
            EXPECT_EQ(s->client_release->query().value(), pt);
            EXPECT_LT(call_ms, 50.0) << "release() waited on the calling thread";
        }
        auto st = sync->stats();
        EXPECT_EQ(mode == ReleaseMode::fence ? st.releases_fence : st.releases_work_done, 3u);
        std::fprintf(stderr, "[sync] %s\n", sync->stats_line().c_str());
    }
}

// 1000 frames over 4 surfaces, random acquire delays and kinds (CPU-signalled, vgem fence
// signalled later, point submitted later). Each client writes only after its previous release.
TEST(SyncOrdering, ThousandFramesRandomDelaysNoLeaks) {
    NEED_KERNEL();
    (void)detected();
    const int kSurfaces = 4;
    int fds0 = 0;
    uint32_t h0 = 0;
    // A short warm-up first: Dawn and lavapipe keep some fds (caches, pools) after first use.
    for (int kFrames : {8, 250}) {
        if (kFrames == 250) fds0 = count_fds(), h0 = next_syncobj_handle();
        PollLoop loop;
        Logs logs;
        auto sync_fence = make_sync(loop, logs, detected().path, ReleaseMode::automatic, 5000ms);
        auto sync_wd = make_sync(loop, logs, detected().path, ReleaseMode::work_done, 5000ms);
        std::mt19937 rng(12345);
        Readback rb(kSurfaces * kFrames);
        struct S {
            std::unique_ptr<Surface> s;
            ExplicitSync* sync;
            uint64_t committed = 0, rendered = 0, released_seen = 0;
            std::unique_ptr<Acquire> acq;
            std::chrono::nanoseconds max_frame{};
            std::vector<EventLoop::SourcePtr> sources;
            Fd rel_ev;
            EventLoop::SourcePtr rel_w;
        };
        std::vector<S> ss(kSurfaces);
        std::vector<int> kinds(3);
        int order_errors = 0, backwards = 0, frames = 0;
        std::function<void(int)> commit;
        auto color = [](int si, uint64_t k) { return 0xff000000u | uint32_t(si) << 16 | uint32_t(k & 0xffff); };
        commit = [&](int si) {
            S& x = ss[si];
            uint64_t k = ++x.committed;
            int kind = int(rng() % 3);
            kinds[kind]++;
            auto delay = std::chrono::microseconds(rng() % 15000);
            uint32_t c = color(si, k);
            if (kind == 0) {  // content, then the point signalled from the CPU
                x.s->buf->fill(c);
                ASSERT_TRUE(x.s->client_acquire->signal(k));
            } else if (kind == 1) {  // a GPU-like fence signalled later; content written just before
                auto f = vgem::fence(kernel().vgem.get()).value();
                ASSERT_TRUE(x.s->client_acquire->import_sync_file(k, f.sync_file.get()));
                uint32_t id = f.id;
                x.sources.push_back(loop.timer(delay, [&x, id, c] {
                    x.s->buf->fill(c);
                    ASSERT_TRUE(vgem::signal(kernel().vgem.get(), id));
                }));
            } else {  // the point is submitted later (wait-for-submit)
                x.sources.push_back(loop.timer(delay, [&x, k, c] {
                    x.s->buf->fill(c);
                    ASSERT_TRUE(x.s->client_acquire->signal(k));
                }));
            }
            std::string who = "surface " + std::to_string(si);
            x.acq = x.sync->acquire(x.s->acquire, k, who, [&, si, k](AcquireResult r) {
                S& y = ss[si];
                ASSERT_EQ(r.status, AcquireResult::Status::ready) << r.message;
                if (k != y.rendered + 1) order_errors++;
                y.rendered = k;
                ASSERT_TRUE(y.sync->apply(r, *y.s->access));
                auto tf = Clock::now();
                render_frame(*y.s, rb, size_t(si) * kFrames + (k - 1));
                frames++;
                ASSERT_TRUE(y.sync->release(y.s->access, y.s->release, k));
                y.max_frame = std::max<std::chrono::nanoseconds>(y.max_frame, Clock::now() - tf);
                // The client waits for the release point before it writes again.
                y.rel_ev = y.s->client_release->eventfd(k, false).value();
                y.rel_w = loop.watch_fd(y.rel_ev.get(), [&, si, k] {
                    S& z = ss[si];
                    uint64_t q = z.s->client_release->query().value();
                    if (q < z.released_seen || q < k) backwards++;
                    z.released_seen = q;
                    z.rel_w.reset();
                    z.rel_ev.reset();
                    z.sources.clear();
                    if (z.committed < uint64_t(kFrames)) commit(si);
                });
            }).value();
        };
        for (int i = 0; i < kSurfaces; i++) {
            ss[i].s = Surface::make(8, 8);
            ss[i].sync = i < 2 ? sync_fence.get() : sync_wd.get();
        }
        auto t0 = Clock::now();
        for (int i = 0; i < kSurfaces; i++) commit(i);
        auto t_end = t0 + 240s;
        auto all_done = [&] {
            for (auto& x : ss)
                if (x.released_seen < uint64_t(kFrames)) return false;
            return true;
        };
        while (!all_done() && Clock::now() < t_end) loop.dispatch(100ms);
        double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        ASSERT_TRUE(all_done()) << "frames rendered: " << frames;
        EXPECT_EQ(frames, kSurfaces * kFrames);
        EXPECT_EQ(order_errors, 0);
        EXPECT_EQ(backwards, 0);
        auto px = rb.read();
        int wrong = 0;
        for (int si = 0; si < kSurfaces; si++)
            for (int k = 1; k <= kFrames; k++) wrong += px[size_t(si) * kFrames + (k - 1)] != color(si, k);
        EXPECT_EQ(wrong, 0) << "frames that rendered stale or early content";
        for (auto& x : ss) EXPECT_EQ(x.s->client_release->query().value(), uint64_t(kFrames));
        std::fprintf(stderr, "[sync] %d frames in %.1f s (kinds: cpu-signalled %d, vgem-later %d, submit-later %d), longest loop callback %.1f ms\n",
                     frames, secs, kinds[0], kinds[1], kinds[2],
                     std::chrono::duration<double, std::milli>(loop.busy_max()).count());
        for (int i = 0; i < kSurfaces; i++)
            std::fprintf(stderr, "[sync] surface %d (%s release): longest frame+release %.1f ms\n", i,
                         i < 2 ? "fence" : "work_done", std::chrono::duration<double, std::milli>(ss[i].max_frame).count());
        std::fprintf(stderr, "[sync] A: %s\n[sync] B: %s\n", sync_fence->stats_line().c_str(), sync_wd->stats_line().c_str());
        EXPECT_EQ(sync_fence->stats().timeouts + sync_wd->stats().timeouts, 0u);
        ss.clear();
    }
    EXPECT_EQ(count_fds(), fds0) << "fd leak";
    EXPECT_EQ(next_syncobj_handle(), h0) << "syncobj leak";
    std::fprintf(stderr, "[sync] fds before/after: %d/%d\n", fds0, count_fds());
}

// A client whose acquire never signals: timeout + a log line naming it; the other client's
// frames go on meanwhile.
TEST(SyncPolicy, NeverSignalledAcquireTimesOutOthersContinue) {
    NEED_KERNEL();
    PollLoop loop;
    Logs logs;
    auto sync = make_sync(loop, logs, detected().path, ReleaseMode::automatic, 1000ms);
    auto bad = Surface::make(), good = Surface::make();
    bad->buf->fill(kRed);
    good->buf->fill(kGreen);
    auto f = vgem::fence(kernel().vgem.get()).value();  // never signalled by the client
    ASSERT_TRUE(bad->client_acquire->import_sync_file(1, f.sync_file.get()));
    Readback rb(512);
    std::optional<AcquireResult> bad1, bad2;
    auto a1 = sync->acquire(bad->acquire, 1, "client 'stuck' (pid 42) surface 7", [&](AcquireResult r) { bad1 = std::move(r); }).value();
    auto a2 = sync->acquire(bad->acquire, 2, "client 'stuck' (pid 42) surface 8", [&](AcquireResult r) { bad2 = std::move(r); }).value();
    uint64_t gp = 0;
    int good_frames = 0;
    Clock::time_point last_good = Clock::now();
    std::chrono::nanoseconds max_gap{};
    std::unique_ptr<Acquire> ga;
    std::function<void()> good_commit = [&] {
        ++gp;
        ASSERT_TRUE(good->client_acquire->signal(gp));
        ga = sync->acquire(good->acquire, gp, "client 'good'", [&](AcquireResult r) {
            ASSERT_EQ(r.status, AcquireResult::Status::ready);
            ASSERT_TRUE(sync->apply(r, *good->access));
            render_frame(*good, rb, size_t(good_frames % 512));
            ASSERT_TRUE(sync->release(good->access, good->release, gp));
            good_frames++;
            max_gap = std::max<std::chrono::nanoseconds>(max_gap, Clock::now() - last_good);
            last_good = Clock::now();
        }).value();
    };
    std::function<void()> tick;
    EventLoop::SourcePtr t;
    tick = [&] { good_commit(); t = loop.timer(16ms, tick); };
    t = loop.timer(0ms, tick);
    auto t0 = Clock::now();
    while ((!bad1 || !bad2) && Clock::now() < t0 + 5s) loop.dispatch(50ms);
    double waited = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    ASSERT_TRUE(bad1 && bad2);
    EXPECT_EQ(bad1->status, AcquireResult::Status::timed_out);
    EXPECT_EQ(bad2->status, AcquireResult::Status::timed_out);
    EXPECT_TRUE(logs.has("client 'stuck' (pid 42) surface 7: acquire point 1 did not signal"));
    EXPECT_TRUE(logs.has("client 'stuck' (pid 42) surface 8: acquire point 2 was never submitted"));
    double gap_ms = std::chrono::duration<double, std::milli>(max_gap).count();
    EXPECT_GE(good_frames, 10) << "the stuck client stalled the others";
    EXPECT_LT(gap_ms, 250.0) << "the other client's frames stalled";
    EXPECT_EQ(sync->stats().timeouts, 2u);
    EXPECT_GE(waited, 900.0);
    std::fprintf(stderr, "[sync] stuck client timed out after %.0f ms; the other client rendered %d frames meanwhile (longest gap %.0f ms)\n", waited, good_frames, gap_ms);
    (void)vgem::signal(kernel().vgem.get(), f.id);
    t.reset();
    ga.reset();
}

// The client destroys its timeline (its handle and fd) before submitting the point: the
// compositor's import keeps the syncobj alive, the acquire times out per the policy; a
// cancelled acquire never calls back; nothing leaks.
TEST(SyncPolicy, DestroyedTimeline) {
    NEED_KERNEL();
    int fds0 = count_fds();
    uint32_t h0 = next_syncobj_handle();
    {
        PollLoop loop;
        Logs logs;
        auto sync = make_sync(loop, logs, detected().path, ReleaseMode::automatic, 500ms);
        std::shared_ptr<Timeline> comp;
        {
            auto client = Timeline::create(kernel().node.get()).value();
            comp = compositor_import(client);
        }  // the client's timeline is gone
        std::optional<AcquireResult> r1;
        bool called2 = false;
        auto a1 = sync->acquire(comp, 1, "client 'gone'", [&](AcquireResult r) { r1 = std::move(r); }).value();
        auto a2 = sync->acquire(comp, 2, "client 'gone' (cancelled)", [&](AcquireResult) { called2 = true; }).value();
        comp.reset();  // the compositor drops its reference too: the pending acquires keep it
        a2.reset();    // the surface is destroyed: cancelled
        auto t0 = Clock::now();
        while (!r1 && Clock::now() < t0 + 3s) loop.dispatch(50ms);
        loop.dispatch(0ms);
        ASSERT_TRUE(r1);
        EXPECT_EQ(r1->status, AcquireResult::Status::timed_out);
        EXPECT_TRUE(logs.has("client 'gone': acquire point 1 was never submitted"));
        EXPECT_FALSE(called2);
        auto st = sync->stats();
        EXPECT_EQ(st.timeouts, 1u);
        EXPECT_EQ(st.cancelled, 1u);
    }
    EXPECT_EQ(count_fds(), fds0) << "fd leak";
    EXPECT_EQ(next_syncobj_handle(), h0) << "syncobj leak";
}

// The host's signals stay blocked in every thread that explicit sync made Dawn or the driver
// start, and in wlgpu's own (the work-done release worker, checked while it is alive): the
// probe, a GPU-side or event-loop acquire wait, a frame, releases in both modes.
TEST(SyncSignals, LibraryThreadsBlockHostSignals) {
    NEED_KERNEL();
    (void)detected();  // the probe (its signaller thread) and the device
    PollLoop loop;
    Logs logs;
    auto fence_sync = make_sync(loop, logs, detected().path, ReleaseMode::fence);
    auto work_sync = make_sync(loop, logs, detected().path, ReleaseMode::work_done);
    auto s = Surface::make();
    s->buf->fill(kGreen);
    Readback rb(1);
    for (uint64_t pt = 1; pt <= 2; pt++) {
        auto& sync = pt == 1 ? *fence_sync : *work_sync;
        ASSERT_TRUE(s->client_acquire->signal(pt));
        std::optional<AcquireResult> got;
        auto a = sync.acquire(s->acquire, pt, "client S", [&](AcquireResult r) { got = std::move(r); }).value();
        for (int i = 0; i < 500 && !got; i++) loop.dispatch(10ms);
        ASSERT_TRUE(got);
        ASSERT_TRUE(sync.apply(*got, *s->access));
        render_frame(*s, rb, 0);
        ASSERT_TRUE(sync.release(s->access, s->release, pt));
        auto ev = s->client_release->eventfd(pt, false).value();
        bool seen = false;
        auto w = loop.watch_fd(ev.get(), [&] { seen = true; });
        for (int i = 0; i < 500 && !seen; i++) loop.dispatch(10ms);
        ASSERT_TRUE(seen) << "release point " << pt << " never signalled";
    }
    EXPECT_EQ(rb.read()[0], kGreen);
    ASSERT_EQ(work_sync->stats().releases_work_done, 1u);  // its worker thread is alive now
    EXPECT_GE(test::expect_library_threads_block_host_signals("explicit sync, release worker alive"), 2)
        << "the driver's threads and the release worker: fewer means the check would be vacuous";
}
