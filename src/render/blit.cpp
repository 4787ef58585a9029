// Exact pixel copies of texture draws, before the render pass (blit.hpp).
#include "render/blit.hpp"

#include <algorithm>
#include <cmath>

namespace wlgpu::render::blit {

namespace {

// The src box (the whole texture when empty) is integral and of dst's size: with transform
// normal, texel (x, y) of it lands on pixel (dst.x + x, dst.y + y).
bool one_to_one(const TextureDraw& d, const Texture& t) {
    const FBox src = d.src.empty() ? FBox{0, 0, double(t.width()), double(t.height())} : d.src;
    auto integral = [](double v) { return v == std::floor(v); };
    return integral(src.x) && integral(src.y) && src.width == double(d.dst.width) &&
           src.height == double(d.dst.height);
}

// The stored bytes of the draw are the texel's: see blit.hpp.
bool stores_texels(const TextureDraw& d, const Texture& t, const Texture& target) {
    const FormatInfo &s = t.format(), &o = target.format();
    if (d.transform != Transform::normal || !(d.alpha >= 1.0f) || s.swap_rb || s.texture != o.texture) return false;
    if (s.has_alpha ? d.blend != Blend::none : o.has_alpha) return false;
    if (!(t.usage() & WGPUTextureUsage_CopySrc) || !(target.usage() & WGPUTextureUsage_CopyDst)) return false;
    return wgpuTextureGetFormat(t.handle()) == wgpuTextureGetFormat(target.handle()) && one_to_one(d, t);
}

// Target pixels that a command may write or read: its scissor, narrowed for the quad kinds to the
// bounds of its instances' rects (normalized device coordinates back to pixels, widened by one).
Box touched(const Frame::Impl& f, const Cmd& c) {
    if (c.key.kind != Kind::texture && c.key.kind != Kind::rect && c.key.kind != Kind::yuv) return c.scissor;
    const double w = f.target->width(), h = f.target->height();
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (uint32_t i = c.first; i < c.first + c.count; i++) {
        const float* r = f.instances[i].rect;
        x0 = std::min(x0, (std::min(r[0], r[2]) + 1.0) / 2.0 * w);
        x1 = std::max(x1, (std::max(r[0], r[2]) + 1.0) / 2.0 * w);
        y0 = std::min(y0, (1.0 - std::max(r[1], r[3])) / 2.0 * h);
        y1 = std::max(y1, (1.0 - std::min(r[1], r[3])) / 2.0 * h);
    }
    if (!(x0 <= x1 && y0 <= y1)) return c.scissor;
    auto px = [](double v) { return int32_t(std::clamp(v, -1.0, double(1 << 30))); };
    const int32_t bx = px(std::floor(x0) - 1), by = px(std::floor(y0) - 1);
    return intersect(c.scissor, {bx, by, px(std::ceil(x1) + 1) - bx, px(std::ceil(y1) + 1) - by});
}

void encode_copy(Frame::Impl& f, WGPUCommandEncoder enc, const CopyCandidate& c, Box b) {
    WGPUTexelCopyTextureInfo src{}, dst{};
    src.texture = c.source;
    dst.texture = f.target->handle();
    src.aspect = dst.aspect = WGPUTextureAspect_All;
    src.origin = {c.src_x + uint32_t(b.x - c.dst.x), c.src_y + uint32_t(b.y - c.dst.y), 0};
    dst.origin = {uint32_t(b.x), uint32_t(b.y), 0};
    const WGPUExtent3D size{uint32_t(b.width), uint32_t(b.height), 1};
    wgpuCommandEncoderCopyTextureToTexture(enc, &src, &dst, &size);
}

}  // namespace

void note(Frame::Impl& f, const TextureDraw& d, uint32_t index) {
    const Texture& t = *d.texture;
    if (!stores_texels(d, t, *f.target)) return;
    const FBox src = d.src.empty() ? FBox{} : d.src;
    f.copies.push_back({index, t.handle(), d.dst, uint32_t(src.x), uint32_t(src.y), !t.format().has_alpha});
}

void hoist(Frame::Impl& f, WGPUCommandEncoder enc) {
    if (f.copies.empty() || f.load_clear) return;  // a clearing pass would overwrite the copies
    const bool snapshots = std::ranges::any_of(f.cmds, [](const Cmd& c) { return c.key.kind == Kind::snapshot; });
    std::vector<Box> earlier;  // what the commands before the current one touch
    std::vector<bool> copied(f.cmds.size());
    for (size_t i = 0; i < f.cmds.size(); i++) {
        const Cmd& c = f.cmds[i];
        auto it = std::ranges::lower_bound(f.copies, c.first, {}, &CopyCandidate::instance);
        const bool candidate = c.key.kind == Kind::texture && c.count == 1 && it != f.copies.end() &&
                               it->instance == c.first && !(it->x_source && snapshots);
        if (candidate) {
            // The command's pixels: its scissor within the draw's dst (the scissor of an unclipped
            // draw is the whole target).
            const Box b = intersect(c.scissor, it->dst);
            if (!b.empty() && std::ranges::none_of(earlier, [&](const Box& e) { return !intersect(e, b).empty(); })) {
                encode_copy(f, enc, *it, b);
                copied[i] = true;
                f.r->stats.copied_draws++;
                continue;
            }
        }
        earlier.push_back(touched(f, c));
    }
    size_t kept = 0;
    for (size_t i = 0; i < f.cmds.size(); i++)
        if (!copied[i]) f.cmds[kept++] = f.cmds[i];
    f.cmds.resize(kept);
}

}  // namespace wlgpu::render::blit
