// Renderer: owns the pipelines, the one growing instance buffer and the bind-group
// cache; begins frames.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "render/atlas.hpp"
#include "render/composite_choice.hpp"
#include "render/renderer_impl.hpp"
#include "common/signals_blocked.hpp"

namespace wlgpu {

namespace {

std::atomic<uint64_t> g_next_renderer_id{1};

// What create_timer gives when the device has no timestamp queries.
class UnsupportedTimer final : public RenderTimer {
public:
    explicit UnsupportedTimer(Error e) : error_(std::move(e)) {}
    Result<uint64_t> duration_ns() override { return std::unexpected(error_); }

private:
    Error error_;
};

}  // namespace

Result<std::unique_ptr<Renderer>> Renderer::create(Bridge& bridge, RendererOptions options) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    auto impl = std::make_unique<Impl>();
    impl->bridge = &bridge;
    impl->atlas.enabled = options.atlas && options.atlas_max_size >= 64;
    impl->atlas.max_size = std::min(options.atlas_max_size, bridge.limits().maxTextureDimension2D);
    impl->id = g_next_renderer_id++;
    Composite composite = options.composite;
    if (const char* e = std::getenv("WLGPU_COMPOSITE")) {
        const std::string_view v(e);
        if (v == "compute") composite = Composite::compute;
        else if (v == "raster") composite = Composite::raster;
        else if (v == "auto") composite = Composite::automatic;
    }
    impl->compute_composite = composite == Composite::compute;
    Result<void> init;
    auto r = bridge.scoped([&] { init = render::init_pipelines(bridge.device(), impl->pipelines); },
                           "creating the renderer");
    if (!r) return std::unexpected(r.error());
    if (!init) return std::unexpected(init.error());
    std::unique_ptr<Renderer> renderer(new Renderer(std::move(impl)));
    if (composite == Composite::automatic && render::automatic_composite(*renderer) == Composite::compute) {
        renderer->impl_->compute_composite = true;
        renderer->impl_->compute_min = {render::kComputeMinPixelsPerDispatch, render::kComputeMinPixelsPerFrame};
    }
    return renderer;
}

Renderer::Renderer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Renderer::~Renderer() = default;

const RenderStats& Renderer::stats() const { return impl_->stats; }
Bridge& Renderer::bridge() const { return *impl_->bridge; }
Composite Renderer::composite() const { return impl_->compute_composite ? Composite::compute : Composite::raster; }

Result<Frame> Renderer::begin(Texture& target, RenderTimer* timer) {  // no Dawn call: no signal mask needed
    if (!(target.usage() & WGPUTextureUsage_RenderAttachment))
        return fail(Errc::invalid_argument, "the {} {}x{} target was not created with TextureUsage::render",
                    target.format().name, target.width(), target.height());
    auto f = std::make_unique<Frame::Impl>();
    f->r = impl_.get();
    f->target = &target;
    f->timer = dynamic_cast<GpuTimer*>(timer);  // an UnsupportedTimer measures nothing
    f->instances = std::move(impl_->scratch_instances);
    f->cmds = std::move(impl_->scratch_cmds);
    f->refs = std::move(impl_->scratch_refs);
    f->copies = std::move(impl_->scratch_copies);
    f->instances.clear();
    f->cmds.clear();
    f->refs.clear();
    render::atlas::frame_begun(*impl_);
    return Frame(std::move(f));
}

std::unique_ptr<RenderTimer> Renderer::create_timer() {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    auto t = GpuTimer::create(*impl_->bridge);
    if (!t) return std::make_unique<UnsupportedTimer>(t.error());
    impl_->stats.buffers_created += 2;
    return std::move(*t);
}

Texture::RendererCache::Entry& Renderer::Impl::cache_entry(const Texture& t) {
    auto& slot = const_cast<Texture&>(t).renderer_cache;  // render's slot on the texture
    if (!slot) slot = std::make_shared<Texture::RendererCache>();
    return slot->of(id);
}

Result<WGPUBindGroup> Renderer::Impl::bind_group(const Texture& t, Filter f) {
    auto& g = cache_entry(t).groups[size_t(f) & 1];
    if (g) return g.get();
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    g = render::texture_bind_group(bridge->device(), pipelines, t.view(), f);
    if (!g) return fail(Errc::gpu_error, "creating a bind group for a {} texture failed", t.format().name);
    stats.bind_groups_created++;
    return g.get();
}

Result<void> Renderer::Impl::ensure_instance_capacity(uint64_t bytes) {
    if (bytes <= instances_capacity) return {};
    uint64_t cap = std::max<uint64_t>(instances_capacity * 2, 64 * sizeof(render::Instance));
    while (cap < bytes) cap *= 2;
    WGPUBufferDescriptor d{};
    d.label = wg::sv("wlgpu instances");
    d.size = cap;
    d.usage = WGPUBufferUsage_Vertex | WGPUBufferUsage_CopyDst;
    wg::Buffer b = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(bridge->device(), &d));
    if (!b) return fail(Errc::gpu_error, "creating a {} byte instance buffer failed", cap);
    instances = std::move(b);
    instances_capacity = cap;
    uploaded.clear();
    stats.buffers_created++;
    return {};
}

void Renderer::Impl::upload_instances(std::span<const render::Instance> in) {
    const size_t n = in.size(), held = std::min(n, uploaded.size());
    auto same = [&](size_t i) { return std::memcmp(&in[i], &uploaded[i], sizeof(render::Instance)) == 0; };
    size_t lo = 0;
    while (lo < held && same(lo)) lo++;
    if (lo == n) return;  // the buffer already holds every instance of this frame
    size_t hi = n;        // one past the last instance to write
    if (n <= uploaded.size())
        while (hi > lo && same(hi - 1)) hi--;
    if (uploaded.size() < n) uploaded.resize(n);
    std::copy(in.begin() + lo, in.begin() + hi, uploaded.begin() + lo);
    const uint64_t bytes = (hi - lo) * sizeof(render::Instance);
    wgpuQueueWriteBuffer(bridge->queue(), instances.get(), lo * sizeof(render::Instance), &in[lo], bytes);
    stats.instance_bytes_written += bytes;
}

}  // namespace wlgpu
