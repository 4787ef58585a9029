// Composite::automatic (see composite_choice.hpp): measure both ways once per device, keep the
// faster.
#include "render/composite_choice.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <vector>

#include "render/renderer_impl.hpp"
#include "wlgpu/format.hpp"
#include "wlgpu/texture.hpp"

namespace wlgpu::render {
namespace {

double median(std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
    return v[v.size() / 2];
}

// One frame into target, submitted and waited for: its wall time in ms.
Result<double> timed_frame(Renderer& r, Texture& target, int layers) {
    const auto t0 = std::chrono::steady_clock::now();
    auto f = r.begin(target);
    if (!f) return std::unexpected(f.error());
    f->clear({0.1f, 0.2f, 0.3f, 1.0f});
    for (int i = 0; i < layers; i++) {
        RectDraw d;
        d.box = {0, 0, int32_t(target.width()), int32_t(target.height())};
        const float a = 0.25f + 0.5f * float(i % 3) / 2.0f;
        d.color = {a * 0.9f, a * float(i % 2), a * 0.4f, a};  // premultiplied
        if (auto ok = f->draw_rect(d); !ok) return std::unexpected(ok.error());
    }
    if (auto ok = f->submit(); !ok) return std::unexpected(ok.error());
    if (auto ok = r.bridge().wait_idle(); !ok) return std::unexpected(ok.error());
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Result<CompositeTimes> measure_composite(Renderer& r, uint32_t w, uint32_t h, int frames, int layers) {
    auto target = Texture::create(r.bridge(), fourcc('A', 'R', '2', '4'), w, h, TextureUsage::render);
    if (!target) return std::unexpected(target.error());
    Renderer::Impl& impl = r.impl();
    const bool was = impl.compute_composite;
    const uint64_t passes = impl.stats.compute_passes;
    std::vector<double> times[2];
    Result<void> ok;
    for (int i = 0; i <= frames && ok; i++)
        for (bool compute : {false, true}) {
            impl.compute_composite = compute;
            auto ms = timed_frame(r, **target, layers);
            if (!ms) {
                ok = std::unexpected(ms.error());
                break;
            }
            if (i > 0) times[compute].push_back(*ms);
        }
    impl.compute_composite = was;
    if (!ok) return std::unexpected(ok.error());
    if (impl.stats.compute_passes - passes != uint64_t(frames) + 1)
        return fail(Errc::unsupported, "the compute frames of the composite measurement did not use the compute pass");
    return CompositeTimes{median(times[0]), median(times[1])};
}

bool prefer_compute(const CompositeTimes& t) { return t.compute_ms > 0 && t.compute_ms <= 0.75 * t.raster_ms; }

Composite automatic_composite(Renderer& r) {
    Bridge& b = r.bridge();
    if (b.identity().type == WGPUAdapterType_CPU) return Composite::raster;
    static std::mutex mu;
    static std::map<uint64_t, Composite> cache;  // by Bridge::serial (never reused)
    std::lock_guard lock(mu);
    if (auto it = cache.find(b.serial()); it != cache.end()) return it->second;
    const RenderStats before = r.stats();
    auto t = measure_composite(r, 1920, 1080, 5, 6);
    r.impl().stats = before;  // the measurement is not the compositor's frames
    if (!t)
        std::fprintf(stderr, "[wlgpu render] composite measurement failed, using the render pass: %s\n",
                     t.error().message.c_str());
    const Composite c = t && prefer_compute(*t) ? Composite::compute : Composite::raster;
    if (c == Composite::raster) r.impl().compute.reset();  // its buffers and pipelines
    cache.emplace(b.serial(), c);
    return c;
}

}  // namespace wlgpu::render
