// The frame's background as the pass's clear: see background.hpp.
#include "render/background.hpp"

#include <algorithm>

namespace wlgpu::render::background {

void note(Frame::Impl& f, Kind kind, Blend blend, Box dst, const Clip& clip, uint32_t index, Color colour) {
    if (blend != Blend::none || f.instances.size() <= index) return;
    const Box all{0, 0, int32_t(f.target->width()), int32_t(f.target->height())};
    const Box visible = intersect(dst, all);
    if (!f.background) {
        // Only the frame's first draw, a rect over the whole target, before any clear.
        const bool first =
            std::ranges::all_of(f.cmds, [&](const Cmd& c) { return c.key.kind == Kind::rect && c.first == index; });
        if (kind != Kind::rect || visible != all || f.load_clear || !first) return;
        f.background = Background{index, colour, {}};
    }
    // A snapshot (an effect that reads the target: a backdrop blur) sees the pixels as they are
    // then: a draw after it replaces nothing the snapshot did not already read.
    Background& bg = *f.background;
    for (; bg.scanned < f.cmds.size(); bg.scanned++) bg.sealed = bg.sealed || f.cmds[bg.scanned].key.kind == Kind::snapshot;
    if (bg.sealed) return;
    std::vector<Box>& covered = bg.covered;
    if (!clip) {
        covered.push_back(visible);
        return;
    }
    for (const Box& c : *clip)
        if (const Box part = intersect(visible, c); !part.empty()) covered.push_back(part);
}

bool covers(Box all, std::span<const Box> boxes) {
    if (all.empty()) return true;
    // The boxes' edges within `all` cut it into cells; every cell must lie in some box.
    std::vector<int32_t> xs{all.x, all.x + all.width}, ys{all.y, all.y + all.height};
    for (const Box& b : boxes) {
        const Box in = intersect(b, all);
        if (in.empty()) continue;
        xs.insert(xs.end(), {in.x, in.x + in.width});
        ys.insert(ys.end(), {in.y, in.y + in.height});
    }
    std::ranges::sort(xs);
    std::ranges::sort(ys);
    xs.erase(std::ranges::unique(xs).begin(), xs.end());
    ys.erase(std::ranges::unique(ys).begin(), ys.end());
    const size_t nx = xs.size() - 1, ny = ys.size() - 1;
    std::vector<uint8_t> cell(nx * ny);
    auto at = [](const std::vector<int32_t>& v, int32_t e) { return size_t(std::ranges::lower_bound(v, e) - v.begin()); };
    for (const Box& b : boxes) {
        const Box in = intersect(b, all);
        if (in.empty()) continue;
        const size_t x0 = at(xs, in.x), x1 = at(xs, in.x + in.width);
        for (size_t y = at(ys, in.y), y1 = at(ys, in.y + in.height); y < y1; y++)
            std::fill(cell.begin() + ptrdiff_t(y * nx + x0), cell.begin() + ptrdiff_t(y * nx + x1), uint8_t(1));
    }
    return std::ranges::all_of(cell, [](uint8_t c) { return c != 0; });
}

void to_clear(Frame::Impl& f) {
    if (!f.background || f.load_clear) return;
    const Background& bg = *f.background;
    const Box all{0, 0, int32_t(f.target->width()), int32_t(f.target->height())};
    if (!covers(all, bg.covered)) return;
    // The background's instance leads its commands (a later rect may have merged into one);
    // effects' commands count instances in slots of their own.
    size_t kept = 0;
    for (Cmd c : f.cmds) {
        if (c.key.kind == Kind::rect && c.first == bg.instance && c.count > 0) {
            if (c.count == 1) continue;
            c.first++, c.count--;
        }
        f.cmds[kept++] = c;
    }
    f.cmds.resize(kept);
    std::erase_if(f.copies, [&](const CopyCandidate& k) { return k.instance == bg.instance; });  // a fill
    f.load_clear = bg.colour;
    f.r->stats.background_clears++;
}

}  // namespace wlgpu::render::background
