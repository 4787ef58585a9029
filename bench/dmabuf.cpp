// bench/dmabuf: first-import cost and per-frame cost of cached DMA-BUF textures, N = 1..256.
// Test bed only (udmabuf + lavapipe DMA-BUF import):
//     scripts/testbed -- ./build/bench/bench_dmabuf
// Per N: N udmabufs of 64x64 ARGB8888 (LINEAR); "import" = import_dmabuf per buffer (validation,
// ImportSharedTextureMemory, CreateTexture); "frame" = one frame drawing all N cached textures
// (BeginAccess/EndAccess once each) + submit + wait for the GPU, mean over the frames; the
// same frame with N wl_shm textures (no shared access) is the baseline.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "../tests/import/test_dmabuf_alloc.hpp"
#include "wlgpu/bridge.hpp"
#include "wlgpu/dmabuf.hpp"
#include "wlgpu/render.hpp"

using namespace wlgpu;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

static Result<double> frame_ms(Renderer& r, Texture& target, const std::vector<std::shared_ptr<Texture>>& texs, int frames) {
    double total = 0;
    for (int i = -2; i < frames; i++) {  // 2 warm-up frames
        auto t0 = Clock::now();
        auto f = r.begin(target);
        if (!f) return std::unexpected(f.error());
        f->clear({0, 0, 0, 1});
        for (size_t k = 0; k < texs.size(); k++) {
            TextureDraw d;
            d.texture = texs[k].get();
            d.dst = {int32_t(k % 16) * 16, int32_t(k / 16) * 16, 16, 16};
            if (auto ok = f->draw_texture(d); !ok) return std::unexpected(ok.error());
        }
        if (auto ok = f->submit(); !ok) return std::unexpected(ok.error());
        if (auto ok = r.bridge().wait_idle(); !ok) return std::unexpected(ok.error());
        if (i >= 0) total += ms_since(t0);
    }
    return total / frames;
}

int main() {
    if (!test::in_testbed()) {
        std::fprintf(stderr, "bench_dmabuf: no /dev/udmabuf; run it in the test bed (scripts/testbed)\n");
        return 77;
    }
    // Each imported texture holds fds (Dawn's dup of the dma-buf, the last end-of-access
    // sync_file) besides the client's: raise the soft fd limit as compositors do.
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    auto b = Bridge::create();
    if (!b) return std::fprintf(stderr, "%s\n", b.error().message.c_str()), 1;
    auto r = Renderer::create(**b);
    if (!r) return std::fprintf(stderr, "%s\n", r.error().message.c_str()), 1;
    const uint32_t kARGB = 0x34325241;
    auto target = Texture::create(**b, kARGB, 256, 256, TextureUsage::sample | TextureUsage::render);
    if (!target) return 1;
    std::printf("device: %s\n\n", (*b)->summary().c_str());
    setvbuf(stdout, nullptr, _IOLBF, 0);
    std::printf("| N | first import, per buffer | first import, all N | frame, N cached dma-bufs | frame, N shm textures | dma-buf cost per texture per frame |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|\n");
    std::vector<uint8_t> pixels(64 * 64 * 4, 0x80);
    for (int n : {1, 16, 64, 256}) {
        std::vector<test::DmaBuf> bufs(n);
        std::vector<DmabufAttributes> attrs(n);
        for (int i = 0; i < n; i++) {
            std::string why;
            if (!test::alloc_dmabuf(test::Alloc::udmabuf, 64 * 256, bufs[i], why))
                return std::fprintf(stderr, "alloc: %s\n", why.c_str()), 1;
            attrs[i].width = 64, attrs[i].height = 64, attrs[i].format = kARGB, attrs[i].n_planes = 1;
            attrs[i].planes[0] = {bufs[i].fd, 0, 256};
        }
        std::vector<std::shared_ptr<Texture>> dma, shm;
        auto t0 = Clock::now();
        for (int i = 0; i < n; i++) {
            auto t = import_dmabuf(**b, attrs[i]);
            if (!t) return std::fprintf(stderr, "import: %s\n", t.error().message.c_str()), 1;
            dma.push_back(*t);
        }
        const double import_all = ms_since(t0);
        for (int i = 0; i < n; i++) shm.push_back(*Texture::from_pixels(**b, kARGB, 64, 64, 256, pixels.data()));
        const int frames = n >= 64 ? 10 : 30;
        auto fd = frame_ms(**r, **target, dma, frames);
        auto fs = frame_ms(**r, **target, shm, frames);
        if (!fd || !fs) return std::fprintf(stderr, "frame failed: %s\n", (!fd ? fd : fs).error().message.c_str()), 1;
        std::fflush(stdout);
        std::printf("| %d | %.2f ms | %.1f ms | %.2f ms | %.2f ms | %.3f ms |\n", n, import_all / n, import_all, *fd, *fs,
                    (*fd - *fs) / n);
    }
    return 0;
}
