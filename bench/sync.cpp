// bench/sync: explicit-sync latency and compositor-thread blocking, GPU-side wait vs the
// CPU-poll fallback, in one run on real kernel objects (the test bed):
//   scripts/testbed -- ./build/bench/bench_sync [frames]
// Per frame: a udmabuf surface whose acquire point carries an unsignalled vgem fence that is
// signalled 30 ms later (by a timer in the loop for the CPU path; by another thread for the
// GPU path, whose submitting thread may be blocked). Measured:
//   signal -> GPU work start: (signal -> release point signalled) minus the same frame's GPU time
//                             with no wait (baseline), per frame, median
//   blocked/frame: time the compositor thread spent inside the frame beyond the baseline frame
//                  cost (i.e. waiting for the acquire fence), median and max
#include <algorithm>
#include <cstdio>
#include <thread>
#include <vector>

#include "common/drm_nodes.hpp"
#include "common/vgem.hpp"
#include "support/udmabuf_image.hpp"
#include "wlgpu/bridge.hpp"
#include "wlgpu/sync.hpp"

using namespace wlgpu;
using namespace wlgpu::sync;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {
double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}
double maxof(const std::vector<double>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

struct Ctx {
    Bridge& b;
    int vgem, node;
    std::unique_ptr<test::UdmabufImage> buf;
    SharedAccess* access = nullptr;  // buf->texture's
    wg::Buffer out;
};

Clock::duration frame(Ctx& c) {
    auto t0 = Clock::now();
    (void)c.access->begin(false);
    test::read_into(*c.buf->texture, c.out.get(), 0, 64, 64);
    (void)c.access->end();
    return Clock::now() - t0;
}

struct Row {
    std::string name;
    std::vector<double> latency, blocked, frame_cost;
};

Row run(Ctx& c, AcquirePath path, int frames, double baseline_frame_ms, double baseline_done_ms) {
    PollLoop loop;
    SyncOptions o;
    o.force_path = path;
    o.log = [](std::string_view) {};
    auto sync = ExplicitSync::create(c.b, loop, o).value();
    auto ct = Timeline::create(c.node).value();
    auto rt = Timeline::create(c.node).value();
    auto ctfd = ct.export_fd().value();
    auto rtfd = rt.export_fd().value();
    auto acq = std::make_shared<Timeline>(Timeline::import(c.node, ctfd.get()).value());
    auto rel = std::make_shared<Timeline>(Timeline::import(c.node, rtfd.get()).value());
    Row row;
    row.name = std::string(to_string(path));
    for (int k = 1; k <= frames; k++) {
        auto f = vgem::fence(c.vgem).value();
        (void)ct.import_sync_file(k, f.sync_file.get());
        Clock::time_point t_sig{}, t_rel{};
        std::thread waiter([&] {  // timestamps the release point (not the compositor thread)
            (void)rt.wait(k, 10s);
            t_rel = Clock::now();
        });
        std::thread signaller;
        EventLoop::SourcePtr sig;
        auto t_commit = Clock::now();
        if (path == AcquirePath::gpu) {
            signaller = std::thread([&] {
                std::this_thread::sleep_until(t_commit + 30ms);
                t_sig = Clock::now();
                (void)vgem::signal(c.vgem, f.id);
            });
        } else {
            sig = loop.timer(30ms, [&] {
                t_sig = Clock::now();
                (void)vgem::signal(c.vgem, f.id);
            });
        }
        bool done = false;
        auto a = sync->acquire(acq, k, "bench", [&](AcquireResult r) {
            (void)sync->apply(r, *c.access);
            auto cost = frame(c);
            (void)sync->release(c.access, rel, k);
            row.frame_cost.push_back(ms(cost));
            row.blocked.push_back(std::max(0.0, ms(cost) - baseline_frame_ms));
            done = true;
        }).value();
        while (!done) loop.dispatch(100ms);
        if (signaller.joinable()) signaller.join();
        waiter.join();
        row.latency.push_back(std::max(0.0, ms(t_rel - t_sig) - baseline_done_ms));
    }
    return row;
}
}  // namespace

int main(int argc, char** argv) {
    int frames = argc > 1 ? std::atoi(argv[1]) : 30;
    auto b = Bridge::create().value();
    auto vgem = drm::open_node_of_driver("card", "vgem");
    auto node = drm::open_timeline_node();
    if (!vgem || !node) {
        std::fprintf(stderr, "bench_sync: needs vgem and a timeline render node (run it in scripts/testbed)\n");
        return 77;
    }
    Ctx c{*b, vgem->get(), node->get(), test::make_udmabuf_image(*b, 64, 64).value(), nullptr, {}};
    c.access = &c.buf->access();
    WGPUBufferDescriptor bd{};
    bd.size = 256 * 64;
    bd.usage = WGPUBufferUsage_CopyDst | WGPUBufferUsage_MapRead;
    c.out = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(b->device(), &bd));
    PollLoop loop;
    auto det = ExplicitSync::create(*b, loop, {}).value();
    std::printf("adapter: %s\ndetected: %s (%s: %s)\n", b->summary().c_str(), std::string(to_string(det->path())).c_str(),
                det->detection().method.c_str(), det->detection().detail.c_str());
    // Baseline: the same frame with the acquire already signalled (frame cost, and commit ->
    // release signalled).
    std::vector<double> base_cost, base_done;
    {
        auto rt = Timeline::create(c.node).value();
        for (int k = 1; k <= frames; k++) {
            auto t0 = Clock::now();
            base_cost.push_back(ms(frame(c)));
            Fd own = c.access->export_end_sync_file().value();  // empty: already done
            (void)rt.import_sync_file(k, own.get());
            (void)rt.wait(k, 10s);
            base_done.push_back(ms(Clock::now() - t0));
        }
    }
    double bf = median(base_cost), bdn = median(base_done);
    std::printf("baseline (acquire already signalled): frame on the compositor thread %.2f ms, commit -> release %.2f ms\n", bf, bdn);
    Row rows[] = {run(c, AcquirePath::gpu, frames, bf, bdn), run(c, AcquirePath::cpu, frames, bf, bdn)};
    std::printf("\n| acquire path | frames | signal -> GPU work start, median (ms) | max (ms) | compositor thread blocked per frame, median (ms) | max (ms) | frame call, median (ms) |\n");
    std::printf("|---|---|---|---|---|---|---|\n");
    for (auto& r : rows)
        std::printf("| %s%s | %d | %.2f | %.2f | %.2f | %.2f | %.2f |\n", r.name.c_str(),
                    r.name == std::string(to_string(det->path())) ? " (detected)" : "", frames, median(r.latency),
                    maxof(r.latency), median(r.blocked), maxof(r.blocked), median(r.frame_cost));
    return 0;
}
