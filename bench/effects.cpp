// bench/effects: what the effects (src/render/effects*.cpp) cost, against the same frame
// without them, in the same run (issue 13's targets):
//   blur4k    a 3840x2160 target: a full-screen background, then a backdrop blur of the whole
//             target (dual Kawase, 3 passes, radius 1), against the background alone.
//             The blur's own GPU ms is the difference.
//   cached    the same target with 16 windows over the background and a 1200x800 blurred panel
//             drawn from a BlurCache that is never invalidated (an unchanged background),
//             against the same frame without the panel. Target: <= 1.05x (wall and GPU). Also
//             the panel blurred every frame (no cache: the region the panel needs only).
//             And the like-for-like row: the same frame with the panel drawn unblurred (a
//             translucent rounded rect), so the ratio against it is what the blur itself adds.
//   shadows   a 1920x1080 target, 64 windows each drawn with a box shadow (sigma 12) and
//             rounded corners (radius 12), against the same 64 windows drawn plainly; both as
//             draw_shadow + draw_rounded_texture (2 draws per window) and as the one-draw
//             draw_rounded_texture(draw, corners, shadow). Target: <= 1.5x CPU.
// Each row: CPU us to record + submit (the median frame: robust against a loaded host; wall
// clock, and "thread us" on the thread's CPU clock), of it record us (begin .. the last draw
// call), wall ms until the queue is idle (mean), GPU ms from
// timestamp queries where the device has them (-1 otherwise; mean), and how many GPU objects
// (buffers, bind groups, pipelines, textures) the measured frames made (steady state: 0). The
// ratio lines divide an effect row by its plain row: CPU (the thread's CPU clock: what the
// frame costs the calling thread, not the time it was preempted, which a loaded host or a
// driver's own threads add to the wall clock; then the wall-clock CPU and record), wall, GPU.
// Before timing, each effect frame is read back once and must differ from its plain frame in the
// region the effect covers (a blank or skipped effect exits 4); pixel exactness is the tests'
// job (tests/render/test_effects.cpp). The rows of a scenario are measured interleaved, frame by
// frame, each after 3 ms of spinning (see measure()).
//
//   bench_effects [frames] [blur4k|cached|shadows]   default 30 measured frames (+3 warm-up) per
//                                                    row, every scenario
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "meter.hpp"
#include "wlgpu/bridge.hpp"
#include "wlgpu/render.hpp"

using namespace wlgpu;
using bench::median;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint32_t kARGB8888 = 0x34325241;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "bench_effects: %s\n", what.c_str());
    std::exit(4);
}

template <typename T>
T must(Result<T> r, const char* what) {
    if (!r) die(std::string(what) + ": " + r.error().message);
    return std::move(*r);
}
void must(Result<void> r, const char* what) {
    if (!r) die(std::string(what) + ": " + r.error().message);
}

std::shared_ptr<Texture> random_texture(Bridge& b, uint32_t w, uint32_t h, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> px(size_t(w) * h * 4);
    for (size_t i = 0; i < px.size(); i += 4) {
        uint32_t v = rng() | 0xff000000u;  // opaque
        std::memcpy(&px[i], &v, 4);
    }
    return must(Texture::from_pixels(b, kARGB8888, w, h, w * 4, px.data()), "texture");
}

struct Window {
    std::shared_ptr<Texture> texture;
    Box box;
};

std::vector<Window> make_windows(Bridge& b, int n, int tw, int th) {
    static const int sizes[][2] = {{128, 96}, {300, 200}, {640, 360}, {200, 300}};
    std::vector<Window> out;
    for (int i = 0; i < n; i++) {
        const int w = sizes[i % 4][0], h = sizes[i % 4][1];
        out.push_back({random_texture(b, w, h, 100 + i), {40 + (i * 97) % (tw - w - 80), 40 + (i * 61) % (th - h - 80), w, h}});
    }
    return out;
}

struct Row {
    // CPU: the median frame's (robust against a loaded host); wall and GPU: means.
    double cpu_us = 0, thread_us = 0, record_us = 0, wall_ms = 0, gpu_ms = -1;
    uint64_t created = 0;  // buffers, bind groups, pipelines and textures made in the measured frames
};

const RenderStats* g_stats = nullptr;
double g_record_us = 0;  // the last frame's recording (begin .. the last draw), set by frame_with

uint64_t created() {
    return g_stats->buffers_created + g_stats->bind_groups_created + g_stats->pipelines_created +
           g_stats->textures_created;
}

double thread_cpu_us() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
}

// Keeps the calling thread's core busy for a while: after a long GPU wait (an effect frame's)
// the core sleeps deeper or clocks lower than after a short one, and the next frame's CPU time
// would hold that (on the H200 the shadowed frame's *recording*, plain CPU code, measured 2x the
// plain frame's, 1.1x on lavapipe where both frames wait long).
void spin(double ms) {
    const auto until = Clock::now() + std::chrono::duration<double, std::milli>(ms);
    while (Clock::now() < until) {
    }
}

// The frames of one scenario, measured interleaved: round i runs each of them once (in an order
// rotated by i), so drift of the host (other load, clocks) falls on all rows alike. Each frame:
// 3 ms of spinning, then its CPU (record + submit, wall clock and the thread's CPU clock), then
// the wait until the queue is idle (wall), then its GPU time.
std::vector<Row> measure(Bridge& b, int frames, RenderTimer* timer, const std::vector<std::function<void()>>& fns) {
    const size_t n = fns.size();
    std::vector<Row> rows(n);
    std::vector<std::vector<double>> cpus(n), threads(n), records(n);
    std::vector<double> gpu(n, 0);
    std::vector<int> gpu_n(n, 0);
    for (int i = 0; i < frames + 3; i++) {
        for (size_t k = 0; k < n; k++) {
            const size_t j = (size_t(i) + k) % n;
            spin(3);
            const uint64_t created0 = created();
            const auto t0 = Clock::now();
            const double c0 = thread_cpu_us();
            fns[j]();
            const double thread = thread_cpu_us() - c0;
            const double cpu = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
            must(b.wait_idle(), "wait_idle");
            const double wall = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
            if (i < 3) continue;  // warm-up rounds
            Row& r = rows[j];
            cpus[j].push_back(cpu), threads[j].push_back(thread), records[j].push_back(g_record_us);
            r.wall_ms += wall / frames;
            r.created += created() - created0;
            if (timer)
                if (auto ns = timer->duration_ns()) gpu[j] += double(*ns) / 1e6, gpu_n[j]++;
        }
    }
    for (size_t j = 0; j < n; j++) {
        if (gpu_n[j]) rows[j].gpu_ms = gpu[j] / gpu_n[j];
        rows[j].cpu_us = median(cpus[j]), rows[j].thread_us = median(threads[j]), rows[j].record_us = median(records[j]);
    }
    return rows;
}

std::vector<uint8_t> read(Bridge& b, Texture& t, Box box) {
    must(b.wait_idle(), "wait_idle");
    std::vector<uint8_t> px(size_t(box.width) * box.height * 4);
    must(t.read_pixels(kARGB8888, box, uint32_t(box.width) * 4, px.data()), "read_pixels");
    return px;
}

// The effect frame must change the region it covers (exits 4 if not).
void self_check(Bridge& b, Texture& target, Box region, const std::function<void()>& plain,
                const std::function<void()>& effect, const char* name) {
    plain();
    auto a = read(b, target, region);
    effect();
    auto e = read(b, target, region);
    size_t changed = 0;
    for (size_t i = 0; i < a.size(); i += 4) changed += std::memcmp(&a[i], &e[i], 4) != 0;
    const size_t total = a.size() / 4;
    std::printf("# self-check %s: %zu of %zu px in the effect's region differ from the plain frame\n", name, changed,
                total);
    if (changed * 4 < total) die(std::string(name) + ": the effect changed less than a quarter of its region");
}

void print(const char* scenario, const char* what, const Row& r) {
    std::printf("%-8s %-38s %10.1f %10.1f %10.1f %10.3f %10.3f %8llu\n", scenario, what, r.cpu_us, r.thread_us,
                r.record_us, r.wall_ms, r.gpu_ms, (unsigned long long)r.created);
}

void ratio(const char* scenario, const char* label, const Row& effect, const Row& plain, const char* target) {
    std::printf("%-8s %s: CPU %.2fx (thread clock; wall clock %.2fx, record %.2fx)  wall %.2fx", scenario, label,
                effect.thread_us / plain.thread_us, effect.cpu_us / plain.cpu_us, effect.record_us / plain.record_us,
                effect.wall_ms / plain.wall_ms);
    if (effect.gpu_ms > 0 && plain.gpu_ms > 0)
        std::printf("  GPU %.2fx (effect's own GPU ms %.3f)", effect.gpu_ms / plain.gpu_ms, effect.gpu_ms - plain.gpu_ms);
    std::printf("   [target %s]\n", target);
}

}  // namespace

int main(int argc, char** argv) {
    const int frames = argc > 1 ? std::max(1, std::atoi(argv[1])) : 30;
    const std::string only = argc > 2 ? argv[2] : "";
    auto runs = [&](const char* s) { return only.empty() || only == s; };
    auto bridge = must(Bridge::create(), "no GPU");
    Bridge& b = *bridge;
    auto renderer = must(Renderer::create(b), "renderer");
    auto timer = renderer->create_timer();
    RenderTimer* t = b.caps().timestamp_query ? timer.get() : nullptr;
    std::printf("# bench_effects: adapter \"%s\", %d frames per row (+3 warm-up), GPU timer %s\n",
                b.identity().name.c_str(), frames, t ? "yes" : "no (-1)");
    std::printf("%-8s %-38s %10s %10s %10s %10s %10s %8s\n", "scenario", "frame", "CPU us", "thread us", "record us",
                "wall ms", "GPU ms", "created");
    g_stats = &renderer->stats();

    auto frame_with = [&](Texture& target, const std::function<void(Frame&)>& draw) {
        const auto t0 = Clock::now();
        auto f = must(renderer->begin(target, t), "begin");
        draw(f);
        g_record_us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        (void)must(f.submit(), "submit");
    };

    {  // blur4k and cached: 3840x2160
        auto target = must(Texture::create(b, kARGB8888, 3840, 2160, TextureUsage::render), "target");
        auto bg = random_texture(b, 960, 540, 1);  // scaled up 4x: a smooth-ish picture, 2 MB
        auto windows = make_windows(b, 16, 3840, 2160);
        auto background = [&](Frame& f) {
            TextureDraw d;
            d.texture = bg.get();
            d.dst = {0, 0, 3840, 2160};
            must(f.draw_texture(d), "background");
        };
        BlurDraw full;
        full.box = {0, 0, 3840, 2160};
        full.passes = 3, full.radius = 1;
        auto plain = [&] { frame_with(*target, background); };
        auto blurred = [&] {
            frame_with(*target, [&](Frame& f) {
                background(f);
                must(f.draw_backdrop_blur(full), "blur");
            });
        };
        if (runs("blur4k")) {
            self_check(b, *target, {0, 0, 3840, 2160}, plain, blurred, "blur4k");
            const auto rows = measure(b, frames, t, {plain, blurred});
            const Row &p = rows[0], &e = rows[1];
            print("blur4k", "background", p);
            print("blur4k", "background + blur (3 passes)", e);
            ratio("blur4k", "blur/background", e, p, "GPU ms written down");
        }

        BlurCache cache;
        BlurDraw panel;
        panel.box = {1320, 680, 1200, 800};
        panel.corners = CornerRadii::all(16);
        panel.passes = 3, panel.radius = 1;
        auto desk = [&](Frame& f) {
            background(f);
            for (const Window& w : windows) {
                TextureDraw d;
                d.texture = w.texture.get();
                d.dst = w.box;
                must(f.draw_texture(d), "window");
            }
        };
        auto desk_plain = [&] { frame_with(*target, desk); };
        auto desk_cached = [&] {
            frame_with(*target, [&](Frame& f) {
                desk(f);
                must(f.draw_backdrop_blur(panel, cache), "cached blur");
            });
        };
        auto desk_panel = [&] {  // the same panel without blur: a translucent rounded rect
            frame_with(*target, [&](Frame& f) {
                desk(f);
                must(f.draw_shape({panel.box, panel.corners, Fill::solid({0.1f, 0.1f, 0.1f, 0.5f})}), "panel");
            });
        };
        auto desk_blurred = [&] {  // the panel blurred every frame (only the region it needs)
            frame_with(*target, [&](Frame& f) {
                desk(f);
                must(f.draw_backdrop_blur(panel), "blur");
            });
        };
        if (runs("cached")) {
            self_check(b, *target, panel.box, desk_plain, desk_cached, "cached");
            const auto rows = measure(b, frames, t, {desk_plain, desk_cached, desk_blurred, desk_panel});
            const Row &cp = rows[0], &ce = rows[1], &cb = rows[2], &cs = rows[3];
            print("cached", "16 windows", cp);
            print("cached", "16 windows + unblurred panel (shape)", cs);
            print("cached", "16 windows + cached blur panel", ce);
            print("cached", "16 windows + blur panel, every frame", cb);
            ratio("cached", "cached blur / no panel (the issue's target)", ce, cp, "<= 1.05x wall and GPU");
            ratio("cached", "cached blur / the same panel unblurred (like for like)", ce, cs, "what the blur adds");
            ratio("cached", "every frame/no panel", cb, cp, "-");
        }
    }

    if (runs("shadows")) {  // 1920x1080, 64 windows
        auto target = must(Texture::create(b, kARGB8888, 1920, 1080, TextureUsage::render), "target");
        auto windows = make_windows(b, 64, 1920, 1080);
        auto plain = [&] {
            frame_with(*target, [&](Frame& f) {
                f.clear({0.2f, 0.3f, 0.4f, 1});
                for (const Window& w : windows) {
                    TextureDraw d;
                    d.texture = w.texture.get();
                    d.dst = w.box;
                    must(f.draw_texture(d), "window");
                }
            });
        };
        auto shadow_of = [](const Window& w) {
            ShadowDraw s;
            s.box = w.box;
            s.corners = CornerRadii::all(12);
            s.color = {0, 0, 0, 0.5f};
            s.sigma = 12;
            return s;
        };
        auto window_of = [](const Window& w) {
            TextureDraw d;
            d.texture = w.texture.get();
            d.dst = w.box;
            return d;
        };
        auto fancy = [&] {
            frame_with(*target, [&](Frame& f) {
                f.clear({0.2f, 0.3f, 0.4f, 1});
                for (const Window& w : windows) {
                    must(f.draw_shadow(shadow_of(w)), "shadow");
                    must(f.draw_rounded_texture(window_of(w), CornerRadii::all(12)), "rounded");
                }
            });
        };
        auto one_draw = [&] {  // the same pixels, one draw per window
            frame_with(*target, [&](Frame& f) {
                f.clear({0.2f, 0.3f, 0.4f, 1});
                for (const Window& w : windows)
                    must(f.draw_rounded_texture(window_of(w), CornerRadii::all(12), shadow_of(w)), "window over its shadow");
            });
        };
        // The first window's top-left corner and the shadow around it change.
        const Box corner{windows[0].box.x - 30, windows[0].box.y - 30, 36, 36};
        self_check(b, *target, corner, plain, fancy, "shadows");
        self_check(b, *target, corner, plain, one_draw, "shadows (one draw per window)");
        const auto rows = measure(b, frames, t, {plain, fancy, one_draw});
        const Row &p = rows[0], &e = rows[1], &o = rows[2];
        print("shadows", "64 windows", p);
        print("shadows", "64 rounded, shadowed (2 draws each)", e);
        print("shadows", "64 rounded, shadowed (1 draw each)", o);
        ratio("shadows", "2 draws/plain", e, p, "<= 1.5x CPU");
        ratio("shadows", "1 draw/plain", o, p, "<= 1.5x CPU");
    }
    return 0;
}
