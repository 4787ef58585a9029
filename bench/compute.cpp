// bench/compute: the same blended quads composited by wlgpu's render pass and by its compute
// pass (RendererOptions::composite, src/render/compute.hpp).
//
//   bench_compute [frames] [WxH] [quads]
//
// A frame: the target cleared to opaque black, then `quads` (default 6) translucent (alpha 0.5,
// premultiplied) quads covering the whole WxH (default 1920x1080) target, each sampling a
// random 256x256 texture bilinearly: what a compositor's full redraw of overlapping windows
// costs the GPU. Two renderers on one device, alternated frame by frame:
//   raster   Composite::raster: the render pipelines, a render pass into the BGRA8 target;
//   compute  Composite::compute: the clear and the quads blended into the renderer's storage
//            buffer (one dispatch: each pixel applies every quad over it in order), the buffer
//            copied into the target after.
// Per frame: the GPU time of the pass (the renderer's timer: timestamps at the start and end of
// the render or compute pass, not the compute path's copies; absent where the adapter has no
// timestamps) and the wall time of submit + wait. Unpaced (back to back, the GPU kept busy) and
// paced (one frame every 16.7 ms, as a compositor's frames come). A GPU whose raster units are
// few (NVIDIA's H100/H200) fills pixels from a fragment shader far slower than its compute
// units write them, which is what this measures. WLGPU_COMPOSITE is ignored (unset here).
// Self-check: the two results read back and compared, the largest channel difference printed
// (each blend rounds to 8 bits, where the rasteriser and the shader may differ by one unit: more
// than one unit per quad is an error, exit 1), and the compute renderer must have used its
// compute pass for every frame.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <random>
#include <vector>

#include "frames.hpp"
#include "meter.hpp"
#include "wlgpu/bridge.hpp"
#include "wlgpu/format.hpp"
#include "wlgpu/render.hpp"
#include "wlgpu/texture.hpp"

using namespace wlgpu;
using bench::Meter;
using bench::Sample;

namespace {

void die(const char* what, const std::string& msg) {
    std::fprintf(stderr, "bench_compute: %s: %s\n", what, msg.c_str());
    std::exit(1);
}

void frame(Renderer& r, Texture& target, Texture& tex, int quads, RenderTimer* timer) {
    auto f = r.begin(target, timer);
    if (!f) die("begin", f.error().message);
    if (auto ok = bench::draw_translucent_quads(*f, tex, target.width(), target.height(), quads); !ok)
        die("draw", ok.error().message);
    if (auto s = f->submit(); !s) die("submit", s.error().message);
    if (auto ok = r.bridge().wait_idle(); !ok) die("wait", ok.error().message);
}

}  // namespace

int main(int argc, char** argv) {
    const int frames = argc > 1 ? std::atoi(argv[1]) : 100;
    uint32_t w = 1920, h = 1080;
    if (argc > 2) std::sscanf(argv[2], "%ux%u", &w, &h);
    const int quads = std::max(1, argc > 3 ? std::atoi(argv[3]) : 6);
    const uint32_t argb = fourcc('A', 'R', '2', '4');
    unsetenv("WLGPU_COMPOSITE");  // the options below choose
    auto bridge = Bridge::create();
    if (!bridge) die("bridge", bridge.error().message);
    Bridge& b = **bridge;
    RendererOptions raster_options, compute_options;
    raster_options.composite = Composite::raster;  // not the default, which may choose compute
    compute_options.composite = Composite::compute;
    auto raster = Renderer::create(b, raster_options);
    auto compute = Renderer::create(b, compute_options);
    if (!raster || !compute) die("renderer", (!raster ? raster.error() : compute.error()).message);
    std::vector<uint8_t> texels(256 * 256 * 4);
    std::mt19937 rng(7);
    for (size_t i = 0; i < texels.size(); i += 4) {  // premultiplied: colour <= alpha
        const uint8_t a = uint8_t(rng());
        for (int c = 0; c < 3; c++) texels[i + c] = uint8_t(rng() % (a + 1u));
        texels[i + 3] = a;
    }
    auto tex = Texture::from_pixels(b, argb, 256, 256, 256 * 4, texels.data());
    auto target = Texture::create(b, argb, w, h, TextureUsage::render | TextureUsage::sample);
    if (!tex || !target) die("textures", (!tex ? tex.error() : target.error()).message);
    auto rtimer = (*raster)->create_timer();
    auto ctimer = (*compute)->create_timer();
    const bool timestamps = b.caps().timestamp_query;
    std::printf("bench_compute: %s, %ux%u target, %d translucent full-target quads, %d frames\n", b.summary().c_str(),
                w, h, quads, frames);

    // Self-check first: both ways' pixels.
    std::vector<uint8_t> pixels[2];
    const Box all{0, 0, int32_t(w), int32_t(h)};
    for (int i = 0; i < 2; i++) {
        frame(i ? **compute : **raster, **target, **tex, quads, nullptr);
        pixels[i].resize(size_t(w) * h * 4);
        if (auto ok = (*target)->read_back_to_memory(std::span<const Box>(&all, 1), pixels[i].data(), w * 4, argb, false);
            !ok)
            die("read back", ok.error().message);
    }
    int maxdiff = 0;
    for (size_t i = 0; i < pixels[0].size(); i++) maxdiff = std::max(maxdiff, std::abs(int(pixels[0][i]) - int(pixels[1][i])));
    std::printf("self-check: largest channel difference raster/compute %d%s\n", maxdiff, maxdiff > quads ? " (FAIL)" : "");
    if (maxdiff > quads) return 1;

    for (bool paced : {false, true}) {
        Sample rs, cs;
        std::vector<double> rgpu, cgpu;
        timespec next{};
        clock_gettime(CLOCK_MONOTONIC, &next);
        for (int i = 0; i < frames + 3; i++) {
            const bool counted = i >= 3;
            for (bool c : {false, true}) {
                Sample scratch;
                if (paced) bench::sleep_until_next_frame(next);
                {
                    Meter m;
                    frame(c ? **compute : **raster, **target, **tex, quads, (c ? ctimer : rtimer).get());
                    m.add_to(!counted ? scratch : c ? cs : rs);
                }
                if (counted && timestamps)
                    if (auto ns = (c ? ctimer : rtimer)->duration_ns()) (c ? cgpu : rgpu).push_back(double(*ns) / 1e6);
            }
        }
        auto mean = [](const std::vector<double>& v) {
            double s = 0;
            for (double x : v) s += x;
            return v.empty() ? 0.0 : s / double(v.size());
        };
        std::printf("\n%s:\n\n| per frame | pass GPU ms (mean) | pass GPU ms (median) | submit + wait, wall ms |\n"
                    "|---|---:|---:|---:|\n",
                    paced ? "paced, one frame every 16.7 ms" : "back to back");
        std::printf("| raster (wlgpu render pass) | %.3f | %.3f | %.3f |\n", mean(rgpu), bench::median(rgpu), rs.wall / frames);
        std::printf("| compute (wlgpu compute pass) | %.3f | %.3f | %.3f |\n", mean(cgpu), bench::median(cgpu),
                    cs.wall / frames);
        if (!cgpu.empty() && mean(cgpu) > 0)
            std::printf("\nraster / compute GPU time: %.2f (means), %.2f (medians)\n", mean(rgpu) / mean(cgpu),
                        bench::median(rgpu) / bench::median(cgpu));
        else if (!timestamps)
            std::printf("\nno timestamp queries on this adapter: wall times only\n");
    }
    const uint64_t all_frames = 1 + 2 * uint64_t(frames + 3);
    if ((*compute)->stats().compute_passes != all_frames || (*raster)->stats().compute_passes != 0) {
        std::fprintf(stderr, "bench_compute: the compute renderer used its compute pass for %llu of %llu frames\n",
                     (unsigned long long)(*compute)->stats().compute_passes, (unsigned long long)all_frames);
        return 1;
    }
    return 0;
}
