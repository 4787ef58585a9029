// The renderer's atlas (src/render/atlas.hpp): small textures that stay unchanged are copied
// into one texture per format and drawn from there. Every frame is compared with the CPU
// reference (tests/render/reference.hpp) on random content, so an entry that samples its
// neighbours (the clamp to the entry's edges), stale content (a write the atlas missed) or a
// wrong place shows as wrong pixels; RenderStats says what went through the atlas.
#include <algorithm>
#include <vector>

#include "render/helpers.hpp"
#include "wlgpu/webgpu/webgpu.h"

using namespace wlgpu;
using namespace wlgpu::test;

namespace {

// A render target of its own, a renderer with the atlas (the default) and the reference.
struct Scene {
    Source dst;
    std::unique_ptr<Renderer> r;
    ref::Image want;

    Scene(std::mt19937& rng, int w, int h, RendererOptions options = {})
        : dst(random_texture(rng, w, h, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render)),
          r(own_renderer(options)),
          want(dst.img) {}
    const RenderStats& stats() const { return r->stats(); }
    // One frame of the draws (each also drawn into the reference), then the target against the
    // reference. Bilinear draws are scaled 1x or 2x, NEAREST ones 1x: see test_render.cpp; the
    // draws do not overlap (+-2 is one layer's rounding, test_render.cpp).
    // Each frame starts with an opaque clear, so that no frame's rounding stacks on the last's.
    // Without `clear` (a frame of draws that replace their pixels, Blend::none) no clear.
    void frame(const std::vector<std::pair<const Source*, TextureDraw>>& draws, int tolerance = 2, bool clear = true) {
        auto f = r->begin(*dst.tex);
        ASSERT_TRUE(f) << f.error().message;
        const Color bg{51 / 255.f, 26 / 255.f, 77 / 255.f, 1.0f};  // k/255: no rounding ties
        if (clear) f->clear(bg);
        if (clear) ref::draw_rect(want, {0, 0, dst.img.w, dst.img.h}, {bg.r, bg.g, bg.b, bg.a}, Blend::none, std::nullopt);
        for (auto& [s, d] : draws) {
            ASSERT_TRUE(f->draw_texture(d));
            ref::draw_texture(want, s->img, d.src, d.dst, d.transform, d.alpha, d.filter, d.blend, d.clip);
        }
        ASSERT_TRUE(f->submit());
        EXPECT_TRUE(images_match(read_back(*dst.tex), want, tolerance));
    }
};

// A draw of s at (x, y), scaled by `scale`, with the transform.
TextureDraw draw_of(const Source& s, int x, int y, int scale, Transform t, Filter f) {
    TextureDraw d;
    d.texture = s.tex.get();
    const bool swap = uint32_t(t) & 1;
    d.dst = {x, y, (swap ? s.img.h : s.img.w) * scale, (swap ? s.img.w : s.img.h) * scale};
    d.transform = t;
    d.filter = f;
    return d;
}

// 20 random 256x256 textures (into srcs) and their draws scaled to 64x64 in a 5x4 grid (a
// quarter: BILINEAR halfway between two texels), turned by the 8 transforms in turn or not.
std::vector<std::pair<const Source*, TextureDraw>> twenty_large(std::mt19937& rng, std::vector<Source>& srcs,
                                                              bool transforms) {
    for (int i = 0; i < 20; i++) srcs.push_back(random_texture(rng, 256, 256, ref::Layout::argb8888));
    std::vector<std::pair<const Source*, TextureDraw>> draws;
    for (int i = 0; i < 20; i++) {
        TextureDraw d;
        d.texture = srcs[i].tex.get();
        d.dst = {(i % 5) * 66, (i / 5) * 66, 64, 64};
        if (transforms) d.transform = Transform(i % 8);
        draws.push_back({&srcs[i], d});
    }
    return draws;
}

}  // namespace

// Textures of many sizes (1x1 to 1024 a side), formats (ARGB and XRGB share BGRA8Unorm's atlas,
// ABGR has RGBA8Unorm's) and one too large for it (1025 wide), drawn with every transform,
// scaled 2x BILINEAR (samples a quarter texel from the edges: an entry that sampled its
// neighbour in the atlas instead of clamping would show), 1:1 NEAREST, crops and alpha. The
// first frame draws every texture from itself; the second copies the small ones into the atlas
// and draws them from there; the third copies nothing.
TEST(Atlas, SmallUnchangedTexturesAreDrawnFromIt) {
    std::mt19937 rng(2024);
    Scene sc(rng, 1100, 1100);
    const int sizes[][2] = {{1, 1}, {2, 3}, {13, 9}, {9, 13}, {31, 17}, {64, 64}, {3, 50}, {50, 3}, {100, 41}, {1025, 4}, {1024, 5}};
    const ref::Layout layouts[] = {ref::Layout::argb8888, ref::Layout::xrgb8888, ref::Layout::abgr8888};
    std::vector<Source> srcs;
    for (size_t i = 0; i < std::size(sizes); i++)
        srcs.push_back(random_texture(rng, sizes[i][0], sizes[i][1], layouts[i % 3]));
    std::vector<std::pair<const Source*, TextureDraw>> draws;
    int x = 0, y = 0, row = 0;  // the draws in rows, side by side: none overlaps another
    for (int i = 0; i < 44; i++) {
        const Source& s = srcs[size_t(i) % srcs.size()];
        const bool bilinear = i % 2 == 0 && s.img.w < 200;
        // The wide ones keep their width (no 90 degree turn): every row fits in the target.
        const Transform t = Transform(s.img.w > 200 ? i % 8 & 6 : i % 8);
        TextureDraw d = draw_of(s, 0, 0, bilinear ? 2 : 1, t, bilinear ? Filter::bilinear : Filter::nearest);
        if (i % 5 == 1 && s.img.w > 4 && s.img.h > 4) {  // a crop: the rect inside, 1:1
            d.src = {1, 2, double(s.img.w - 3), double(s.img.h - 4)};
            const bool swap = uint32_t(d.transform) & 1;
            d.dst.width = int(swap ? d.src.height : d.src.width);
            d.dst.height = int(swap ? d.src.width : d.src.height);
        }
        d.alpha = i % 3 == 0 ? 0.75f : 1.0f;
        if (i % 4 == 3) d.transform = Transform::normal, d.dst = draw_of(s, 0, 0, 1, d.transform, d.filter).dst,
                        d.alpha = 1.0f, d.blend = Blend::none, d.src = {};
        if (x + d.dst.width > 1100) x = 0, y += row + 1, row = 0;
        d.dst.x = x, d.dst.y = y;
        x += d.dst.width + 1, row = std::max(row, d.dst.height);
        draws.push_back({&s, d});
    }
    ASSERT_LE(y + row, 1100) << "every draw lies in the target";
    sc.frame(draws);
    const RenderStats first = sc.stats();
    EXPECT_EQ(first.atlas_copies, 0u) << "a texture drawn for the first time is drawn from itself";
    sc.frame(draws);
    const RenderStats second = sc.stats();
    EXPECT_EQ(second.atlas_copies, std::size(sizes) - 1) << "every texture but the 1025-wide one enters the atlas";
    sc.frame(draws);
    const RenderStats third = sc.stats();
    EXPECT_EQ(third.atlas_copies, second.atlas_copies) << "unchanged textures are not copied again";
    EXPECT_EQ(third.textures_created, 2u) << "one atlas for BGRA8Unorm and one for RGBA8Unorm";
    ASSERT_TRUE(gpu().wait_idle());
}

// 40 small textures of one format, drawn unclipped with one blend: 40 draw calls, then (from
// the second frame on) one instanced draw call of the atlas.
TEST(Atlas, DrawsOfManyTexturesBecomeOneDrawCall) {
    std::mt19937 rng(7);
    Scene sc(rng, 420, 170, {.composite = Composite::raster});  // counts the render pass's draw calls
    std::vector<Source> srcs;
    for (int i = 0; i < 40; i++) srcs.push_back(random_texture(rng, 8 + i % 9, 20 - i % 7, ref::Layout::argb8888));
    std::vector<std::pair<const Source*, TextureDraw>> draws;
    for (int i = 0; i < 40; i++)
        draws.push_back({&srcs[i], draw_of(srcs[i], (i % 10) * 42, (i / 10) * 42, 2, Transform(i % 8), Filter::bilinear)});
    sc.frame(draws);
    EXPECT_EQ(sc.stats().draws, 40u);
    sc.frame(draws);
    EXPECT_EQ(sc.stats().draws, 41u) << "one draw call for 40 textures";
    sc.frame(draws);
    EXPECT_EQ(sc.stats().draws, 42u);
    EXPECT_EQ(sc.stats().atlas_copies, 40u);
    ASSERT_TRUE(gpu().wait_idle());
}

// 1:1 Blend::none draws of textures in the atlas become exact copies (src/render/blit.hpp) from
// their places in it: a frame without a clear (which would overwrite copies made before the
// pass), compared at tolerance 0.
TEST(Atlas, OneToOneCopiesComeFromItsPlaces) {
    std::mt19937 rng(11);
    Scene sc(rng, 200, 100);
    std::vector<Source> srcs;
    for (int i = 0; i < 6; i++) srcs.push_back(random_texture(rng, 11 + 5 * i, 23 - 2 * i, ref::Layout::argb8888));
    std::vector<std::pair<const Source*, TextureDraw>> draws;
    for (int i = 0; i < 6; i++) {
        TextureDraw d = draw_of(srcs[i], (i % 3) * 60 + 2, (i / 3) * 40 + 3, 1, Transform::normal, Filter::nearest);
        d.blend = Blend::none;
        draws.push_back({&srcs[i], d});
    }
    sc.frame(draws, 0, false);
    sc.frame(draws, 0, false);
    const uint64_t copied = sc.stats().copied_draws;
    EXPECT_EQ(sc.stats().atlas_copies, 6u);
    sc.frame(draws, 0, false);
    EXPECT_EQ(sc.stats().copied_draws, copied + 6) << "every draw a copy out of the atlas";
    EXPECT_EQ(sc.stats().atlas_copies, 6u);
    ASSERT_TRUE(gpu().wait_idle());
}

// A texture in the atlas whose content changes: the frame after the write draws it from itself
// (a texture that changes every frame is never copied), the next one copies it into its place
// again, the one after that copies nothing; each frame shows the new content. The same for a
// write through Texture::handle() announced with mark_changed().
TEST(Atlas, ChangedContentIsCopiedAgain) {
    std::mt19937 rng(99);
    Scene sc(rng, 96, 64);
    Source a = random_texture(rng, 21, 13, ref::Layout::argb8888), b = random_texture(rng, 13, 21, ref::Layout::argb8888);
    std::vector<std::pair<const Source*, TextureDraw>> draws = {
        {&a, draw_of(a, 3, 4, 2, Transform::rotate_90, Filter::bilinear)},
        {&b, draw_of(b, 50, 10, 1, Transform::normal, Filter::nearest)}};
    sc.frame(draws);
    sc.frame(draws);
    ASSERT_EQ(sc.stats().atlas_copies, 2u);
    // New content in a box of a (Texture::update).
    const Box box{4, 3, 10, 7};
    auto bytes = ref::random_pixels(rng, 21, 13, 21 * 4, ref::Layout::argb8888);
    ASSERT_TRUE(a.tex->update(bytes.data(), 21 * 4, std::span(&box, 1)));
    const ref::Image fresh = ref::decode(bytes, 21, 13, 21 * 4, ref::Layout::argb8888);
    for (int y = box.y; y < box.y + box.height; y++)
        for (int x = box.x; x < box.x + box.width; x++) a.img.px[size_t(y) * 21 + x] = fresh.px[size_t(y) * 21 + x];
    sc.frame(draws);
    EXPECT_EQ(sc.stats().atlas_copies, 2u) << "changed: drawn from itself";
    sc.frame(draws);
    EXPECT_EQ(sc.stats().atlas_copies, 3u) << "unchanged for a frame: copied again";
    sc.frame(draws);
    EXPECT_EQ(sc.stats().atlas_copies, 3u);
    // New content of b written by the caller through handle(), announced with mark_changed().
    auto more = ref::random_pixels(rng, 13, 21, 13 * 4, ref::Layout::argb8888);
    WGPUTexelCopyTextureInfo to{};
    to.texture = b.tex->handle();
    to.aspect = WGPUTextureAspect_All;
    WGPUTexelCopyBufferLayout layout{};
    layout.bytesPerRow = 13 * 4;
    layout.rowsPerImage = 21;
    const WGPUExtent3D size{13, 21, 1};
    wgpuQueueWriteTexture(gpu().queue(), &to, more.data(), more.size(), &layout, &size);
    b.tex->mark_changed();
    b.img = ref::decode(more, 13, 21, 13 * 4, ref::Layout::argb8888);
    sc.frame(draws);
    sc.frame(draws);
    EXPECT_EQ(sc.stats().atlas_copies, 4u);
    ASSERT_TRUE(gpu().wait_idle());
}

// More textures than the atlas holds (20 of 256x256 in a 1024x1024 atlas that cannot grow,
// atlas_max_size 1024: 16 fit): the rest are drawn from themselves. A full atlas starts afresh
// when a frame begins at least 60 frames after it was last started (RenderStats::atlas_resets),
// and the textures drawn then take the places: drawn in the reverse order, other textures land
// in places that held others before.
TEST(Atlas, FullAtlasDrawsTheRestFromThemselvesAndStartsAfresh) {
    std::mt19937 rng(512);
    Scene sc(rng, 330, 264, {.atlas_max_size = 1024});
    std::vector<Source> srcs;
    auto draws = twenty_large(rng, srcs, false);
    sc.frame(draws);
    sc.frame(draws);
    EXPECT_EQ(sc.stats().atlas_copies, 16u) << "16 fit";
    sc.frame(draws);
    EXPECT_EQ(sc.stats().atlas_resets, 0u) << "not before 60 frames";
    for (int i = 0; i < 60; i++) {
        auto f = sc.r->begin(*sc.dst.tex);
        ASSERT_TRUE(f);
    }
    std::ranges::reverse(draws);
    sc.frame(draws);
    EXPECT_EQ(sc.stats().atlas_resets, 1u);
    EXPECT_EQ(sc.stats().atlas_copies, 32u) << "the first 16 drawn take the places";
    sc.frame(draws);
    EXPECT_EQ(sc.stats().atlas_copies, 32u);
    EXPECT_EQ(sc.stats().textures_created, 1u) << "one atlas, never grown";
    ASSERT_TRUE(gpu().wait_idle());
}

// An atlas below its largest size (atlas_max_size 2048: made at 1024x1024) that fills up grows
// at the next frame: twice as large, every texture placed again, all 20 fit.
TEST(Atlas, FullAtlasGrowsOnce) {
    std::mt19937 rng(1024);
    Scene sc(rng, 330, 264, {.atlas_max_size = 2048});
    std::vector<Source> srcs;
    auto draws = twenty_large(rng, srcs, true);
    sc.frame(draws);
    sc.frame(draws);
    EXPECT_EQ(sc.stats().atlas_copies, 16u);
    sc.frame(draws);
    EXPECT_EQ(sc.stats().atlas_resets, 1u) << "grown";
    EXPECT_EQ(sc.stats().textures_created, 2u);
    EXPECT_EQ(sc.stats().atlas_copies, 36u) << "all 20 in the grown atlas";
    sc.frame(draws);
    EXPECT_EQ(sc.stats().atlas_copies, 36u);
    EXPECT_EQ(sc.stats().atlas_resets, 1u) << "it does not grow past atlas_max_size";
    ASSERT_TRUE(gpu().wait_idle());
}
