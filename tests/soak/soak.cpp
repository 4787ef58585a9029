// wlgpu-soak: import -> draw -> destroy, over and over, and what stays behind.
//
//   wlgpu-soak [--kind shm|dmabuf] [--cycles N] [--warmup N] [--seed S] [--any-size] [--verbose: every sample]
//
// Each cycle makes a client buffer of a random size from a set of 8 (odd ones among them; with
// --any-size, any of 8..300 px a side) with fresh random
// opaque pixels, turns it into a texture (shm: Texture::from_pixels, as wl_shm commits are;
// dmabuf: a real dma-buf from src/common/dmabuf_alloc imported with dmabuf_texture, as a
// linux-dmabuf-v1 client buffer is), draws it into a 256x256 target, submits, and destroys the
// texture and the buffer, at most two frames in flight (as a compositor with two buffers, which
// waits for a frame before it reuses its buffer). Every 256 cycles the GPU is drained (Bridge::release_deferred) and the
// process's open fds and resident memory are sampled. After a warm-up (--warmup; by default the
// first 10% of the cycles, at least 256) the figures must stay flat: fds within 2 (each new one is named), RSS within
// 16 MiB (allocator and driver caches reach a plateau; a per-cycle leak of even a 8x8 texture
// passes that after ~10^5 cycles). The last cycle's texture is drawn 1:1 and read back against
// its pixels, so the soak also shows the path still renders correctly after N cycles.
//
// Why 8 sizes by default: lavapipe (Mesa 26.2) keeps ~140 KB per distinct texture size it has
// sampled, for the life of the device (--any-size: 6000 cycles grow RSS from 200 to 940 MB on
// lavapipe; on the NVIDIA H200 the same run stays at 126.8 -> 127.1 MB, docs/reliability.md).
// With a bounded set of sizes the driver's caches plateau and what remains is wlgpu's own.
//
// Prints "SOAK kind=K cycles=N seconds=S fds=A->B rss_kib=C->D (max M) ..." and exits 1 on
// growth, a lost device, an error or a wrong pixel. Short runs are in ctest (soak_shm,
// guest_soak_dmabuf); scripts/soak runs the long ones (docs/reliability.md).
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/dmabuf_alloc.hpp"
#include "wlgpu/bridge.hpp"
#include "wlgpu/dmabuf.hpp"
#include "wlgpu/format.hpp"
#include "wlgpu/render.hpp"

using namespace wlgpu;

namespace {

constexpr uint32_t kARGB8888 = 0x34325241;  // DRM_FORMAT_ARGB8888 ('AR24')
constexpr uint32_t kTarget = 256;
constexpr long kSampleEvery = 256;
constexpr long kRssSlackKib = 16 * 1024;
constexpr int kFdSlack = 2;

int count_fds() {
    int n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
        while (readdir(d)) n++;
        closedir(d);
    }
    return n;
}

// fd -> what it is (readlink of /proc/self/fd/N).
std::map<int, std::string> open_fds() {
    std::map<int, std::string> out;
    if (DIR* d = opendir("/proc/self/fd")) {
        while (dirent* e = readdir(d)) {
            if (e->d_name[0] == '.') continue;
            char target[256] = {};
            std::string path = std::string("/proc/self/fd/") + e->d_name;
            ssize_t n = readlink(path.c_str(), target, sizeof target - 1);
            out[std::atoi(e->d_name)] = n > 0 ? std::string(target, size_t(n)) : "?";
        }
        closedir(d);
    }
    return out;
}

long rss_kib() {
    long pages = 0, resident = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// Resident KiB per mapping ("start path", from /proc/self/smaps): what grew
// is named when the soak fails, so a driver cache and a wlgpu leak can be told apart.
std::map<std::string, long> resident_by_mapping() {
    std::map<std::string, long> out;
    FILE* f = std::fopen("/proc/self/smaps", "r");
    if (!f) return out;
    char line[512];
    std::string current;
    while (std::fgets(line, sizeof line, f)) {
        unsigned long lo = 0, hi = 0;
        long kib = 0;
        int n = 0;
        if (std::sscanf(line, "%lx-%lx %n", &lo, &hi, &n) == 2 && n > 0) {
            // Keyed by start address and path: [heap] keeps its start while its end moves.
            std::string text = line;
            if (text.back() == '\n') text.pop_back();
            const size_t path = text.find_first_of("/[");
            char start[32];
            std::snprintf(start, sizeof start, "%lx ", lo);
            current = start + (path == std::string::npos ? std::string("[anon]") : text.substr(path));
        } else if (std::sscanf(line, "Rss: %ld kB", &kib) == 1) {
            out[current] += kib;
        }
    }
    std::fclose(f);
    return out;
}

// The mappings whose resident size grew most between two snapshots, one per line.
std::string grown_mappings(const std::map<std::string, long>& before, const std::map<std::string, long>& after) {
    std::vector<std::pair<long, std::string>> grown;
    for (const auto& [m, kib] : after) {
        auto it = before.find(m);
        long d = kib - (it == before.end() ? 0 : it->second);
        if (d >= 512) grown.emplace_back(d, m);
    }
    std::sort(grown.rbegin(), grown.rend());
    std::string out;
    for (size_t i = 0; i < grown.size() && i < 8; i++)
        out += "SOAK grew +" + std::to_string(grown[i].first) + " KiB: " + grown[i].second + "\n";
    return out;
}

[[noreturn]] void die(const std::string& why) {
    std::fprintf(stdout, "SOAK FAIL %s\n", why.c_str());
    std::exit(1);
}

// A client buffer: w x h opaque ARGB8888 (stride w*4 rounded up to 64 bytes), random pixels.
struct Client {
    uint32_t w = 0, h = 0, stride = 0;
    std::vector<uint8_t> pixels;  // the content the texture must show
    MappedDmabuf dmabuf;          // kind dmabuf: the memory the pixels live in
};

Client make_client(std::mt19937& rng, bool dmabuf, bool any_size) {
    Client c;
    if (any_size) {
        c.w = 8 + rng() % 293, c.h = 8 + rng() % 293;
    } else {
        static constexpr uint32_t kSizes[][2] = {{8, 8}, {61, 17}, {128, 128}, {300, 300},
                                                 {255, 33}, {97, 211}, {256, 64}, {13, 290}};
        const auto& s = kSizes[rng() % 8];
        c.w = s[0], c.h = s[1];
    }
    c.stride = (c.w * 4 + 63) & ~63u;
    c.pixels.resize(size_t(c.stride) * c.h);
    for (size_t i = 0; i < c.pixels.size(); i += 4) {
        uint32_t v = rng() | 0xff000000u;
        std::memcpy(&c.pixels[i], &v, 4);
    }
    if (dmabuf) {
        auto m = alloc_dmabuf(c.pixels.size());
        if (!m) die("dma-buf allocation: " + m.error().message);
        c.dmabuf = std::move(*m);
        c.dmabuf.begin_cpu(true);
        std::memcpy(c.dmabuf.data(), c.pixels.data(), c.pixels.size());
        c.dmabuf.end_cpu(true);
    }
    return c;
}

std::shared_ptr<Texture> texture_of(Bridge& bridge, const Client& c, bool dmabuf) {
    if (!dmabuf) {
        auto t = Texture::from_pixels(bridge, kARGB8888, c.w, c.h, c.stride, c.pixels.data(), TextureUsage::sample);
        if (!t) die("from_pixels: " + t.error().message);
        return *t;
    }
    DmabufAttributes a;
    a.width = c.w, a.height = c.h, a.format = kARGB8888, a.n_planes = 1;
    a.planes[0] = {c.dmabuf.fd(), 0, c.stride};
    auto t = dmabuf_texture(bridge, a);
    if (!t) die("dmabuf_texture: " + t.error().message);
    return t->texture;
}

void draw(Renderer& renderer, Texture& target, const Texture& tex, Box dst) {
    auto f = renderer.begin(target);
    if (!f) die("begin: " + f.error().message);
    f->clear(Color{0.1f, 0.2f, 0.3f, 1.0f});
    TextureDraw d;
    d.texture = &tex;
    d.dst = dst;
    d.filter = Filter::nearest;
    if (auto r = f->draw_texture(d); !r)
        die("draw_texture: " + r.error().message);
    if (auto s = f->submit(); !s) die("submit: " + s.error().message);
}

// The last client drawn 1:1 at the origin must read back exactly (opaque: no blending).
void check_pixels(Texture& target, const Client& c) {
    const uint32_t w = std::min(c.w, kTarget), h = std::min(c.h, kTarget);
    std::vector<uint8_t> got(size_t(w) * 4 * h);
    if (auto r = target.read_pixels(kARGB8888, {0, 0, int32_t(w), int32_t(h)}, w * 4, got.data()); !r)
        die("read_pixels: " + r.error().message);
    for (uint32_t y = 0; y < h; y++)
        if (std::memcmp(got.data() + size_t(y) * w * 4, c.pixels.data() + size_t(y) * c.stride, size_t(w) * 4) != 0)
            die("the last texture does not read back as its pixels (row " + std::to_string(y) + ")");
}

}  // namespace

int main(int argc, char** argv) {
    std::string kind = "shm";
    long cycles = 2000, warmup_cycles = -1;
    uint32_t seed = 1;
    bool verbose = false, any_size = false;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--kind" && i + 1 < argc) kind = argv[++i];
        else if (a == "--cycles" && i + 1 < argc) cycles = std::atol(argv[++i]);
        else if (a == "--warmup" && i + 1 < argc) warmup_cycles = std::atol(argv[++i]);
        else if (a == "--seed" && i + 1 < argc) seed = uint32_t(std::atol(argv[++i]));
        else if (a == "--verbose") verbose = true;
        else if (a == "--any-size") any_size = true;
        else {
            std::fprintf(stderr, "usage: wlgpu-soak [--kind shm|dmabuf] [--cycles N] [--warmup N] [--seed S] [--any-size] [--verbose]\n");
            return 2;
        }
    }
    const bool dmabuf = kind == "dmabuf";
    if (!dmabuf && kind != "shm") die("unknown --kind " + kind);
    auto bridge = Bridge::create();
    if (!bridge) die("no GPU: " + bridge.error().message);
    Bridge& b = **bridge;
    if (dmabuf) {
        if (auto r = b.caps().require({Capabilities::Need::dmabuf_import}, "wlgpu-soak --kind dmabuf"); !r)
            die(r.error().message);
    }
    auto renderer = Renderer::create(b);
    if (!renderer) die("renderer: " + renderer.error().message);
    auto target = Texture::create(b, kARGB8888, kTarget, kTarget, TextureUsage::render);
    if (!target) die("target: " + target.error().message);

    std::mt19937 rng(seed);
    const long warmup = warmup_cycles >= 0 ? warmup_cycles : std::max(kSampleEvery, cycles / 10);
    int fds0 = -1, fds = 0;
    std::map<int, std::string> fds_at_warmup;
    std::map<std::string, long> maps_at_warmup;
    long rss0 = -1, rss = 0, rss_max = 0;
    const auto start = std::chrono::steady_clock::now();
    Client last;
    for (long i = 1; i <= cycles; i++) {
        Client c = make_client(rng, dmabuf, any_size);
        {
            auto tex = texture_of(b, c, dmabuf);
            const bool final_cycle = i == cycles;
            Box dst = final_cycle ? Box{0, 0, int32_t(c.w), int32_t(c.h)}
                                  : Box{int32_t(rng() % 200), int32_t(rng() % 200), int32_t(c.w), int32_t(c.h)};
            draw(**renderer, **target, *tex, dst);
        }  // the texture goes; the dma-buf (the client's buffer) after it, as with wlroots
        if (i == cycles) last = std::move(c);
        // Paced like a compositor with two buffers: at most two frames in flight. Unpaced, the
        // CPU outruns lavapipe by a varying amount, the deferred textures pile up and Dawn keeps
        // the peak's memory heaps for reuse: RSS then measured the race, +1 to +27 MB run to run.
        if (i % 2 == 0)
            if (auto r = b.wait_idle(); !r) die("wait_idle: " + r.error().message);
        if (b.lost()) die("device lost at cycle " + std::to_string(i));
        if (i % kSampleEvery == 0 || i == cycles) {
            if (auto r = b.release_deferred(); !r) die("release_deferred: " + r.error().message);
            fds = count_fds(), rss = rss_kib();
            rss_max = std::max(rss_max, rss);
            if (fds0 < 0 && i >= warmup) fds0 = fds, rss0 = rss, fds_at_warmup = open_fds(), maps_at_warmup = resident_by_mapping();
            if (verbose) std::printf("SOAK sample cycle=%ld fds=%d rss_kib=%ld\n", i, fds, rss);
        }
    }
    check_pixels(**target, last);
    last = {};
    if (auto r = b.release_deferred(); !r) die("release_deferred: " + r.error().message);
    fds = count_fds(), rss = rss_kib();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (fds0 < 0) fds0 = fds, rss0 = rss;
    std::printf("SOAK kind=%s cycles=%ld seconds=%.1f cycles_per_s=%.0f fds=%d->%d rss_kib=%ld->%ld (max %ld) "
                "warmup=%ld adapter=\"%s\"\n",
                kind.c_str(), cycles, secs, cycles / secs, fds0, fds, rss0, rss, rss_max, warmup,
                b.identity().name.c_str());
    // What is open now that was not after the warm-up, named. A driver may open a device node
    // lazily (the NVIDIA driver opened one more during a 20000-cycle run on the H200), so up to
    // kFdSlack new fds pass; a per-cycle leak is hundreds.
    std::string new_fds;
    for (const auto& [fd, target] : open_fds())
        if (!fds_at_warmup.contains(fd) || fds_at_warmup[fd] != target)
            new_fds += " " + std::to_string(fd) + "=" + target;
    if (!new_fds.empty()) std::printf("SOAK fds opened since the warm-up:%s\n", new_fds.c_str());
    std::printf("%s", grown_mappings(maps_at_warmup, resident_by_mapping()).c_str());
    if (fds > fds0 + kFdSlack)
        die("open fds grew from " + std::to_string(fds0) + " to " + std::to_string(fds));
#if defined(__SANITIZE_ADDRESS__)
    // ASan keeps freed memory in quarantine (256 MiB by default): RSS grows by design there.
    // The fds still count, and LeakSanitizer checks the memory at exit.
    std::printf("SOAK RSS not checked under AddressSanitizer (its quarantine holds freed memory)\n");
    if (false)
#else
    if (rss - rss0 > kRssSlackKib)
#endif
        die("resident memory grew by " + std::to_string(rss - rss0) + " KiB (limit " + std::to_string(kRssSlackKib) +
            ")");
    std::printf("SOAK PASS\n");
    return 0;
}
