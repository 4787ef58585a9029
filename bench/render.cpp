// bench/render: composites N surfaces of mixed sizes into a 1920x1080 target with
// wlgpu's Renderer, and the same frames with two raw-Dawn peers (render_peers.hpp): the
// naive one ("raw": a uniform buffer per frame, a bind group and SetPipeline per draw)
// and a competent one (one pipeline, one instance buffer, bind groups cached per
// texture). The three run frame by frame in turn (same machine state for all). Prints CPU
// us to record+submit (mean and median per frame), wall ms per frame (until the queue is
// idle), GPU ms from timestamp queries (wlgpu only), raw/wlgpu ratios (as before) and
// wlgpu/naive, wlgpu/competent ratios (of the means and of the medians). Before timing each
// N, one frame of each is read back and compared with a CPU composite of the scene (wlgpu)
// and with wlgpu's frame (the peers); a mismatch exits 4.
//
//   bench_render [frames] [--no-atlas]   default 20 measured frames (+3 warm-up) per row;
//                                        --no-atlas: wlgpu without its texture atlas
//                                        (RendererOptions::atlas), every texture drawn from itself
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <span>
#include <vector>

#include <string>

#include "meter.hpp"
#include "render_peers.hpp"
#include "wlgpu/render.hpp"

using namespace wlgpu;
using namespace ::bench;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<Surface> make_surfaces(Bridge& b, int n) {
    static const int sizes[][2] = {{32, 32}, {128, 96}, {300, 200}, {640, 360}};
    std::mt19937 rng(n);
    std::uniform_int_distribution<int> byte(0, 255);
    std::vector<Surface> out;
    for (int i = 0; i < n; i++) {
        int w = sizes[i % 4][0], h = sizes[i % 4][1];
        std::vector<uint8_t> px(size_t(w) * h * 4);
        for (auto& p : px) p = uint8_t(byte(rng));
        auto t = Texture::from_pixels(b, kARGB8888, w, h, w * 4, px.data());
        if (!t) {
            std::fprintf(stderr, "%s\n", t.error().message.c_str());
            std::exit(1);
        }
        Box dst{int((i * 97) % (kW - w)), int((i * 61) % (kH - h)), w, h};
        out.push_back({*t, dst, std::move(px)});
    }
    return out;
}

double us_since(Clock::time_point t) { return std::chrono::duration<double, std::micro>(Clock::now() - t).count(); }

struct Row {
    double cpu_us = 0, wall_ms = 0, gpu_ms = -1;
    double cpu_median_us = 0;
};

// Times `frames` frames (after 3 warm-up frames) of each renderer, interleaved: frame i of
// every renderer in turn, so that all of them run under the same machine state (other load,
// clock changes, the runs' drift), each frame starting with the queue idle. The CPU time is
// the recording call's, the wall time runs until the queue is idle again.
std::vector<Row> measure(Bridge& b, int frames, std::span<const std::function<void()>> renderers) {
    std::vector<Row> rows(renderers.size());
    std::vector<std::vector<double>> cpus(renderers.size());
    for (int i = 0; i < frames + 3; i++) {
        for (size_t k = 0; k < renderers.size(); k++) {
            auto t0 = Clock::now();
            renderers[k]();
            double cpu = us_since(t0);
            (void)b.wait_idle();
            double wall = us_since(t0) / 1000.0;
            if (i < 3) continue;  // warm-up
            rows[k].cpu_us += cpu / frames;
            rows[k].wall_ms += wall / frames;
            cpus[k].push_back(cpu);
        }
    }
    for (size_t k = 0; k < rows.size(); k++) rows[k].cpu_median_us = wlgpu::bench::median(std::move(cpus[k]));
    return rows;
}

// GPU ms per frame of `record` from `timer`'s timestamp queries (mean over the frames that
// report one; -1 if none does).
template <typename F>
double measure_gpu(Bridge& b, int frames, F&& record, RenderTimer& timer) {
    double gpu = 0;
    int gpu_n = 0;
    for (int i = 0; i < frames + 3; i++) {
        record();
        (void)b.wait_idle();
        if (i < 3) continue;
        if (auto ns = timer.duration_ns()) gpu += double(*ns) / 1e6, gpu_n++;
    }
    return gpu_n ? gpu / gpu_n : -1;
}

// One frame drawn by `draw`, waited for and read back (outside any timing).
template <typename F>
std::vector<uint8_t> read_frame(Bridge& b, Texture& target, F&& draw) {
    draw();
    std::vector<uint8_t> px(size_t(kW) * kH * 4);
    if (auto ok = b.wait_idle(); !ok) {
        std::fprintf(stderr, "bench_render: self-check: %s\n", ok.error().message.c_str());
        std::exit(4);
    }
    if (auto ok = target.read_pixels(kARGB8888, {0, 0, kW, kH}, kW * 4, px.data()); !ok) {
        std::fprintf(stderr, "bench_render: self-check: %s\n", ok.error().message.c_str());
        std::exit(4);
    }
    return px;
}

// Per-channel tolerances: wlgpu against the CPU composite (bilinear sampling at texel
// centres and blend rounding may differ by a step); the peers against wlgpu's own frame
// (same geometry, same sampler, same blend state: expected identical).
constexpr int kRefTolerance = 2, kPeerTolerance = 1;

// Self-check for one N: returns the line to print, exits 4 on a mismatch.
std::string self_check(Bridge& b, Texture& target, int n, const std::vector<Surface>& surfaces,
                       const std::function<void()>& wlgpu_frame, NaivePeer& naive, CompetentPeer& competent) {
    auto ref = reference_frame(surfaces);
    auto w = read_frame(b, target, wlgpu_frame);
    auto nv = read_frame(b, target, [&] { naive.frame(target, surfaces); });
    auto cp = read_frame(b, target, [&] { competent.frame(target, surfaces); });
    Diff dw = compare(w, ref, kRefTolerance), dn = compare(nv, w, kPeerTolerance), dc = compare(cp, w, kPeerTolerance);
    size_t drawn = 0;  // pixels the scene changes from the clear colour (so a blank frame cannot pass)
    for (size_t i = 0; i < ref.size(); i += 4) drawn += (ref[i] | ref[i + 1] | ref[i + 2] | (ref[i + 3] ^ 255)) != 0;
    char line[320];
    std::snprintf(line, sizeof line,
                  "# self-check N=%d: %zu px drawn; wlgpu vs CPU composite max diff %d (%zu px over %d); "
                  "naive vs wlgpu max diff %d (%zu px over %d); competent vs wlgpu max diff %d (%zu px over %d)",
                  n, drawn, dw.max, dw.pixels_over, kRefTolerance, dn.max, dn.pixels_over, kPeerTolerance, dc.max,
                  dc.pixels_over, kPeerTolerance);
    if (drawn == 0 || dw.pixels_over || dn.pixels_over || dc.pixels_over) {
        std::fprintf(stderr, "bench_render: self-check FAILED\n%s\n", line);
        std::exit(4);
    }
    return line;
}

}  // namespace

int main(int argc, char** argv) {
    int frames = argc > 1 ? std::atoi(argv[1]) : 20;
    const bool atlas = !(argc > 2 && std::string(argv[2]) == "--no-atlas");
    auto bridge = Bridge::create();
    if (!bridge) {
        std::fprintf(stderr, "bench_render: %s\n", bridge.error().message.c_str());
        return 1;
    }
    Bridge& b = **bridge;
    auto renderer = Renderer::create(b, {.atlas = atlas});
    if (!renderer) {
        std::fprintf(stderr, "bench_render: %s\n", renderer.error().message.c_str());
        return 1;
    }
    auto target = Texture::create(b, kARGB8888, kW, kH, TextureUsage::render);
    if (!target) {
        std::fprintf(stderr, "bench_render: %s\n", target.error().message.c_str());
        return 1;
    }
    auto timer = (*renderer)->create_timer();
    NaivePeer raw(b);
    CompetentPeer competent(b);
    std::printf("# %s\n# %dx%d target, %d frames per row (+3 warm-up), surfaces 32x32..640x360, wlgpu's atlas %s, "
                "composite %s\n",
                b.summary().c_str(), kW, kH, frames, atlas ? "on" : "off",
                (*renderer)->composite() == Composite::compute ? "compute" : "raster");
    std::printf("| N | wlgpu CPU us | wlgpu wall ms | wlgpu GPU ms | raw CPU us | raw wall ms | CPU raw/wlgpu | wall raw/wlgpu "
                "| competent CPU us | competent wall ms | CPU wlgpu/naive | CPU wlgpu/competent | wall wlgpu/naive "
                "| wall wlgpu/competent | wlgpu CPU us median | raw CPU us median | competent CPU us median "
                "| CPU wlgpu/naive of medians | CPU wlgpu/competent of medians |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    std::vector<std::string> checks;
    for (int n : {1, 16, 64, 256}) {
        competent.forget_textures();  // the previous row's textures are gone
        auto surfaces = make_surfaces(b, n);
        auto wlgpu_frame = [&](RenderTimer* t) {
            auto f = (*renderer)->begin(**target, t);
            if (!f) std::exit(2);
            f->clear({0, 0, 0, 1});
            for (const auto& s : surfaces) {
                TextureDraw d;
                d.texture = s.tex.get();
                d.dst = s.dst;
                (void)f->draw_texture(d);
            }
            if (!f->submit()) std::exit(3);
        };
        checks.push_back(self_check(b, **target, n, surfaces, [&] { wlgpu_frame(nullptr); }, raw, competent));
        // CPU and wall time without the timer (the peers have none), the three renderers
        // interleaved frame by frame; GPU time from a second run of wlgpu's frames with the
        // timestamp queries on.
        const std::function<void()> renderers[] = {[&] { wlgpu_frame(nullptr); },
                                                   [&] { raw.frame(**target, surfaces); },
                                                   [&] { competent.frame(**target, surfaces); }};
        auto rows = measure(b, frames, renderers);
        Row w = rows[0], r = rows[1], c = rows[2];
        if (timer) w.gpu_ms = measure_gpu(b, frames, [&] { wlgpu_frame(timer.get()); }, *timer);
        char gpu[32] = "n/a";
        if (w.gpu_ms >= 0) std::snprintf(gpu, sizeof gpu, "%.2f", w.gpu_ms);
        std::printf("| %d | %.0f | %.2f | %s | %.0f | %.2f | %.2f | %.2f | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f "
                    "| %.0f | %.0f | %.0f | %.2f | %.2f |\n",
                    n, w.cpu_us, w.wall_ms, gpu, r.cpu_us, r.wall_ms, r.cpu_us / w.cpu_us, r.wall_ms / w.wall_ms, c.cpu_us,
                    c.wall_ms, w.cpu_us / r.cpu_us, w.cpu_us / c.cpu_us, w.wall_ms / r.wall_ms, w.wall_ms / c.wall_ms,
                    w.cpu_median_us, r.cpu_median_us, c.cpu_median_us, w.cpu_median_us / r.cpu_median_us,
                    w.cpu_median_us / c.cpu_median_us);
        std::fflush(stdout);
    }
    for (const auto& line : checks) std::printf("%s\n", line.c_str());
    const RenderStats& s = (*renderer)->stats();
    std::printf("# wlgpu stats: frames=%llu passes=%llu draw calls=%llu buffers=%llu bind groups=%llu pipelines=%llu "
                "bundles recorded=%llu replayed=%llu\n",
                (unsigned long long)s.frames, (unsigned long long)s.render_passes, (unsigned long long)s.draws,
                (unsigned long long)s.buffers_created, (unsigned long long)s.bind_groups_created,
                (unsigned long long)s.pipelines_created, (unsigned long long)s.bundles_recorded,
                (unsigned long long)s.bundles_replayed);
    std::printf("# competent peer stats: buffers=%llu bind groups=%llu pipelines=1\n",
                (unsigned long long)competent.buffers_created(), (unsigned long long)competent.bind_groups_created());
    return 0;
}
