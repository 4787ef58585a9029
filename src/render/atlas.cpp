// Small unchanging textures drawn from one texture per format (atlas.hpp).
#include "render/atlas.hpp"

#include <algorithm>
#include <format>

#include "common/signals_blocked.hpp"

namespace wlgpu::render::atlas {

namespace {

bool qualifies(const Atlases& s, const Texture& t) {
    const WGPUTextureUsage u = t.usage();
    const uint32_t max_entry = s.max_size / 4;
    return t.content_tracked() && !t.shared_access && !(u & WGPUTextureUsage_RenderAttachment) &&
           (u & WGPUTextureUsage_CopySrc) && t.width() <= max_entry && t.height() <= max_entry;
}

// Gives a a new, empty texture of size x size and its bind groups.
bool make_texture(Renderer::Impl& r, Atlas& a, uint32_t size) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    WGPUTextureDescriptor d{};
    d.label = wg::sv("wlgpu atlas");
    d.usage = WGPUTextureUsage_TextureBinding | WGPUTextureUsage_CopyDst | WGPUTextureUsage_CopySrc;
    d.dimension = WGPUTextureDimension_2D;
    d.size = {size, size, 1};
    d.format = a.format;
    d.mipLevelCount = 1;
    d.sampleCount = 1;
    wg::Texture texture;
    std::array<wg::BindGroup, 2> groups;
    auto made = r.bridge->scoped(
        [&] {
            texture = wg::Texture::Acquire(wgpuDeviceCreateTexture(r.bridge->device(), &d));
            wg::TextureView view = wg::TextureView::Acquire(wgpuTextureCreateView(texture.get(), nullptr));
            for (size_t f = 0; f < groups.size(); f++)
                groups[f] = texture_bind_group(r.bridge->device(), r.pipelines, view.get(), Filter(f));
        },
        std::format("creating a {}x{} texture atlas", size, size));
    if (!made || !texture || !groups[0] || !groups[1]) return false;
    a.texture = std::move(texture);
    a.groups = std::move(groups);
    a.size = size;
    r.stats.textures_created++;
    r.stats.bind_groups_created += a.groups.size();
    return true;
}

// Empties a: no place is taken, every placement so far is void.
void start_afresh(Atlases& s, Atlas& a) {
    a.shelves.clear();
    a.next_y = 0;
    a.full = false;
    a.generation = s.next_generation++;
    a.reset_frame = s.frames;
}

// The atlas of format; null where none was made yet.
Atlas* find(Atlases& s, WGPUTextureFormat format) {
    for (Atlas& a : s.atlases)
        if (a.format == format) return &a;
    return nullptr;
}

// The atlas of format, made on first use (at half the largest size when that is 2048 or more,
// else at the largest); null where it cannot be made (not retried).
Atlas* of_format(Renderer::Impl& r, WGPUTextureFormat format) {
    Atlases& s = r.atlas;
    if (Atlas* a = find(s, format)) return a;
    if (std::ranges::find(s.failed, format) != s.failed.end()) return nullptr;
    Atlas a;
    a.format = format;
    if (!make_texture(r, a, s.max_size >= 2048 ? s.max_size / 2 : s.max_size)) {
        s.failed.push_back(format);
        return nullptr;
    }
    start_afresh(s, a);
    return &s.atlases.emplace_back(std::move(a));
}

// A free w x h place on a shelf: the first shelf as high as h or up to a quarter higher with room
// left, else a new shelf of height h below the last one.
std::optional<std::pair<uint32_t, uint32_t>> allocate(Atlas& a, uint32_t w, uint32_t h) {
    for (Atlas::Shelf& sh : a.shelves) {
        if (h <= sh.height && h * 5 >= sh.height * 4 && a.size - sh.x >= w) {
            const uint32_t x = sh.x;
            sh.x += w;
            return std::pair{x, sh.y};
        }
    }
    if (a.size - a.next_y < h || a.size < w) return std::nullopt;
    a.shelves.push_back({a.next_y, h, w});
    a.next_y += h;
    return std::pair{0u, a.shelves.back().y};
}

void queue_copy(Renderer::Impl& r, const Atlas& a, const Texture& t, uint32_t x, uint32_t y) {
    r.atlas.pending.push_back({wg::Texture(t.handle()), wg::Texture(a.texture.get()), x, y, t.width(), t.height()});
}

}  // namespace

std::optional<Placement> place(Renderer::Impl& r, const Texture& t, Filter filter) {
    if (!r.atlas.enabled || !qualifies(r.atlas, t)) return std::nullopt;
    AtlasSlot& slot = r.cache_entry(t).atlas;
    const uint64_t version = t.content_version();
    // Drawn by an earlier frame with this content (not just earlier in this frame).
    const bool settled = slot.seen_version == version && slot.seen_frame != r.atlas.frames;
    if (slot.seen_version != version) slot.seen_version = version, slot.seen_frame = r.atlas.frames;
    Atlas* a = find(r.atlas, t.format().texture);
    const bool placed = a && slot.generation == a->generation;
    if (placed && slot.version != version) {
        if (!settled) return std::nullopt;  // changing: drawn from itself until it stays
        queue_copy(r, *a, t, slot.x, slot.y);
        slot.version = version;
    } else if (!placed) {
        if (!settled) return std::nullopt;
        if (!a) a = of_format(r, t.format().texture);
        if (!a) return std::nullopt;
        auto at = allocate(*a, t.width(), t.height());
        if (!at) {
            a->full = true;
            return std::nullopt;
        }
        slot = {a->generation, version, at->first, at->second, version, slot.seen_frame};
        queue_copy(r, *a, t, slot.x, slot.y);
    }
    return Placement{a->groups[size_t(filter) & 1].get(), a->texture.get(), slot.x, slot.y, a->size};
}

void map_instance(const Placement& p, const Texture& t, Instance& in) {
    const float n = float(p.size), w = float(t.width()), h = float(t.height());
    const float x = float(p.x), y = float(p.y);
    in.uv0[0] = (x + in.uv0[0] * w) / n;
    in.uv0[1] = (y + in.uv0[1] * h) / n;
    in.uv_s[0] *= w / n, in.uv_s[1] *= h / n;
    in.uv_t[0] *= w / n, in.uv_t[1] *= h / n;
    in.color[0] = (x + 0.5f) / n;
    in.color[1] = (y + 0.5f) / n;
    in.color[2] = (x + w - 0.5f) / n;
    in.color[3] = (y + h - 0.5f) / n;
}

void frame_begun(Renderer::Impl& r) {
    Atlases& s = r.atlas;
    s.frames++;
    if (s.open_frames++ > 0) return;  // another frame may hold placements
    for (Atlas& a : s.atlases) {
        if (!a.full) continue;
        // Full below the largest size: twice as large at once (what was placed is placed again
        // as it is drawn). At the largest size: afresh, not more often than every kResetFrames.
        const bool grow = a.size < s.max_size && make_texture(r, a, a.size * 2);
        if (!grow && s.frames - a.reset_frame < kResetFrames) continue;
        start_afresh(s, a);
        r.stats.atlas_resets++;
    }
}

void frame_ended(Renderer::Impl& r) { r.atlas.open_frames--; }

void flush(Renderer::Impl& r, WGPUCommandEncoder enc) {
    for (const Atlases::Copy& c : r.atlas.pending) {
        WGPUTexelCopyTextureInfo src{}, dst{};
        src.texture = c.source.get();
        dst.texture = c.atlas.get();
        src.aspect = dst.aspect = WGPUTextureAspect_All;
        dst.origin = {c.x, c.y, 0};
        const WGPUExtent3D size{c.width, c.height, 1};
        wgpuCommandEncoderCopyTextureToTexture(enc, &src, &dst, &size);
        r.stats.atlas_copies++;
    }
    r.atlas.pending.clear();
}

void forget(Renderer::Impl& r) {
    r.atlas.atlases.clear();
    r.atlas.pending.clear();
    r.atlas.failed.clear();
}

}  // namespace wlgpu::render::atlas
