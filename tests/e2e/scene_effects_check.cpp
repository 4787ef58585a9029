// The CPU reference of a scene window with wlgpu's scene effects (tests/e2e/scene_effects.py):
// a rounded window over its shadow (wlgpu/wlr_scene_effects.h as the harness sets them up), from
// the plain screenshot of the same scene (the window's pixels and the background around it) and
// the shadow and corner references of tests/render/effects_reference.hpp (docs/effects.md).
//
//   scene_effects_check PLAIN.rgba EFFECTS.rgba W H X Y BW BH RADIUS SIGMA ALPHA TOLERANCE
//
// .rgba: W x H straight RGBA8 rows (the screenshots are opaque, so straight = premultiplied).
// The reference: the plain screenshot with the window's box filled with the background colour
// (its pixel left of the box's top-left corner); the shadow (black at ALPHA, the box's rounded
// indicator blurred by SIGMA, not inside the rounded box) over it; the window's pixels times the
// rounded box's coverage over that. Every pixel of the box grown by 3 SIGMA + 4 is compared.
// Exit 0 when all are within TOLERANCE and the effects changed enough pixels to be seen.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "render/effects_reference.hpp"

using namespace wlgpu;
using namespace wlgpu::test;
using namespace wlgpu::test::fxref;

namespace {

ref::Image load(const char* path, int w, int h) {
    std::ifstream f(path, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (bytes.size() != size_t(w) * h * 4) {
        std::fprintf(stderr, "%s: %zu bytes, not %dx%dx4\n", path, bytes.size(), w, h);
        std::exit(2);
    }
    return ref::decode(bytes, w, h, w * 4, ref::Layout::abgr8888);  // bytes R, G, B, A
}

int level(float v) { return int(std::lround(v * 255)); }

int channel_diff(const ref::Px& a, const ref::Px& b) {
    return std::max({std::abs(level(a.r) - level(b.r)), std::abs(level(a.g) - level(b.g)),
                     std::abs(level(a.b) - level(b.b)), std::abs(level(a.a) - level(b.a))});
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 13) {
        std::fprintf(stderr, "usage: %s PLAIN.rgba EFFECTS.rgba W H X Y BW BH RADIUS SIGMA ALPHA TOLERANCE\n", argv[0]);
        return 2;
    }
    const int w = std::atoi(argv[3]), h = std::atoi(argv[4]);
    const Box win{std::atoi(argv[5]), std::atoi(argv[6]), std::atoi(argv[7]), std::atoi(argv[8])};
    const float radius = std::strtof(argv[9], nullptr), sigma = std::strtof(argv[10], nullptr);
    const float alpha = std::strtof(argv[11], nullptr);
    const int tolerance = std::atoi(argv[12]);
    const ref::Image plain = load(argv[1], w, h), got = load(argv[2], w, h);
    const CornerRadii corners = CornerRadii::all(radius);

    ref::Image want = plain;
    const ref::Px bg = plain.at(std::max(win.x - 1, 0), std::max(win.y - 1, 0));
    for (int y = win.y; y < win.y + win.height; y++)
        for (int x = win.x; x < win.x + win.width; x++) want.at(x, y) = bg;
    const int reach = int(std::ceil(3 * sigma));
    const Box quad{win.x - reach, win.y - reach, win.width + 2 * reach, win.height + 2 * reach};
    const auto cov = reference_shadow(w, h, win, corners, sigma);
    auto outside = [&](int x, int y) {
        return float(std::clamp(0.5 + rounded_distance(x + 0.5, y + 0.5, win, corners), 0.0, 1.0));
    };
    over(want, quad, std::nullopt, [&](int x, int y) {
        return scale(ref::Px{0, 0, 0, alpha}, float(cov[size_t(y) * w + x]) * outside(x, y));
    });
    over(want, win, std::nullopt, [&](int x, int y) { return scale(plain.at(x, y), coverage(x, y, win, corners)); });

    int compared = 0, bad = 0, worst = 0, changed = 0;
    for (int y = std::max(quad.y - 4, 0); y < std::min(quad.y + quad.height + 4, h); y++)
        for (int x = std::max(quad.x - 4, 0); x < std::min(quad.x + quad.width + 4, w); x++) {
            const int d = channel_diff(got.at(x, y), want.at(x, y));
            compared++;
            worst = std::max(worst, d);
            if (d > tolerance) {
                if (bad < 10) std::printf("    (%d, %d): got %d %d %d, want %d %d %d\n", x, y, level(got.at(x, y).r),
                                          level(got.at(x, y).g), level(got.at(x, y).b), level(want.at(x, y).r),
                                          level(want.at(x, y).g), level(want.at(x, y).b));
                bad++;
            }
            if (channel_diff(plain.at(x, y), want.at(x, y)) > 8) changed++;
        }
    std::printf("scene effects: %d pixels compared, %d over %d levels (worst %d); the effects change %d of them\n",
                compared, bad, tolerance, worst, changed);
    if (changed < 1000) {
        std::printf("the reference hardly differs from the plain scene: the check would be vacuous\n");
        return 1;
    }
    return bad == 0 ? 0 : 1;
}
