// Compositing in a compute pass (RendererOptions::composite = Composite::compute,
// src/render/compute.hpp): the same frames as the render pass draws, compared with the CPU
// reference, and the stats that show which pass drew them. (The whole pixel suite also runs
// with WLGPU_COMPOSITE=compute: ctest test_render_compute.)
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <random>
#include <string>

#include "render/composite_choice.hpp"
#include "render/renderer_impl.hpp"
#include "render/helpers.hpp"

namespace wlgpu::test {
namespace {

std::unique_ptr<Renderer> compute_renderer() {
    RendererOptions o;
    o.composite = Composite::compute;
    return own_renderer(o);
}

// Random draws of every kind the compute pass takes: three source layouts, all transforms,
// scaled bilinear and 1:1 nearest, alpha, both blends, rects, clipped draws and a clipped clear.
void random_frame(std::mt19937& rng, Frame& frame, ref::Image& want, std::span<const Source> srcs, int draws) {
    std::uniform_int_distribution<int> pos(-10, 80), pick(0, int(srcs.size()) - 1), tr(0, 7), size(5, 40);
    const Box clip[] = {{0, 0, 50, 30}, {50, 30, 46, 34}};
    for (int i = 0; i < draws; i++) {
        const Source& s = srcs[size_t(pick(rng))];
        const Transform t = Transform(tr(rng));
        const bool swap = uint32_t(t) & 1;
        const bool scaled = i % 4 == 1;
        Box box{pos(rng), pos(rng), swap ? s.img.h : s.img.w, swap ? s.img.w : s.img.h};
        if (scaled) box.width = size(rng), box.height = size(rng);
        const Clip c = i % 5 == 0 ? Clip(clip) : std::nullopt;
        TextureDraw d;
        d.texture = s.tex.get();
        d.dst = box;
        d.transform = t;
        d.filter = scaled ? Filter::bilinear : Filter::nearest;
        d.alpha = i % 3 == 0 ? 0.75f : 1.0f;
        d.blend = i % 6 == 5 ? Blend::none : Blend::premultiplied;
        d.clip = c;
        ASSERT_TRUE(frame.draw_texture(d));
        ref::draw_texture(want, s.img, {}, box, t, d.alpha, d.filter, d.blend, c);
        if (i % 7 == 0) {
            const Color col{60 / 255.f, 30 / 255.f, 0.0f, 128 / 255.f};
            const Box rb{pos(rng), pos(rng), 20, 15};
            ASSERT_TRUE(frame.draw_rect({rb, col, Blend::premultiplied, c}));
            ref::draw_rect(want, rb, {col.r, col.g, col.b, col.a}, Blend::premultiplied, c);
        }
        if (i == draws / 2) {
            const Box cc[] = {{10, 10, 20, 20}};
            const Color cl{0, 100 / 255.f, 0, 128 / 255.f};
            frame.clear(cl, Clip(cc));
            ref::draw_rect(want, cc[0], {cl.r, cl.g, cl.b, cl.a}, Blend::none, std::nullopt);
        }
    }
}

// A cleared frame of random draws: the compute pass drew it (no render pass) and it matches the
// CPU reference, in a BGRA (ARGB8888) and an RGBA (ABGR8888) target.
TEST(Compute, FrameMatchesReferenceWithoutARenderPass) {
    for (ref::Layout target : {ref::Layout::argb8888, ref::Layout::abgr8888}) {
        SCOPED_TRACE(target == ref::Layout::argb8888 ? "ARGB8888 target" : "ABGR8888 target");
        auto r = compute_renderer();
        std::mt19937 rng(4242);
        auto dst = random_texture(rng, 96, 64, target, TextureUsage::sample | TextureUsage::render);
        const Source srcs[] = {random_texture(rng, 17, 11, ref::Layout::argb8888),
                               random_texture(rng, 8, 20, ref::Layout::xrgb8888),
                               random_texture(rng, 30, 7, ref::Layout::abgr8888)};
        auto frame = r->begin(*dst.tex);
        ASSERT_TRUE(frame);
        ref::Image want(96, 64);
        const Color bg{51 / 255.f, 26 / 255.f, 77 / 255.f, 1.0f};
        frame->clear(bg);
        ref::draw_rect(want, {0, 0, 96, 64}, {bg.r, bg.g, bg.b, bg.a}, Blend::none, std::nullopt);
        random_frame(rng, *frame, want, srcs, 40);
        ASSERT_TRUE(frame->submit());
        EXPECT_TRUE(images_match(read_back(*dst.tex), want, 2));  // +-2: see MixedDrawsMatchReference
        EXPECT_EQ(r->stats().compute_passes, 1u);
        EXPECT_GT(r->stats().compute_dispatches, 20u);  // some draws are copies or off the target
        EXPECT_EQ(r->stats().render_passes, 0u);
    }
}

// Frames without a clear keep what the target held outside their draws (the touched box is
// copied in before the dispatches and back after them), frame after frame, and the read-back
// into memory of a memory target (one submit) holds them.
TEST(Compute, DamageFramesKeepTheRestOfTheTargetAndReadBack) {
    auto r = compute_renderer();
    std::mt19937 rng(99);
    auto dst = random_texture(rng, 96, 64, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    const Source srcs[] = {random_texture(rng, 12, 9, ref::Layout::argb8888),
                           random_texture(rng, 9, 14, ref::Layout::xrgb8888)};
    ref::Image want = dst.img;
    for (int n = 0; n < 3; n++) {
        SCOPED_TRACE("frame " + std::to_string(n));
        auto frame = r->begin(*dst.tex);
        ASSERT_TRUE(frame);
        random_frame(rng, *frame, want, srcs, 6);
        constexpr uint32_t kStride = 96 * 4;
        std::vector<uint8_t> mem(size_t(kStride) * 64, 0x5a);
        const Box all{0, 0, 96, 64};
        ASSERT_TRUE(frame->submit(MemoryTarget{std::span<const Box>(&all, 1), mem.data(), kStride, kARGB8888, false}));
        EXPECT_TRUE(images_match(read_back(*dst.tex), want, 2));
        EXPECT_TRUE(images_match(ref::decode(mem, 96, 64, kStride, ref::Layout::argb8888), want, 2));
    }
    EXPECT_EQ(r->stats().compute_passes, 3u);
    EXPECT_EQ(r->stats().render_passes, 0u);
}

// Consecutive draws of one texture share a dispatch, and within it overlapping draws keep
// their order (translucent draws over each other, some replacing what is under them); a
// dispatch takes at most 64 draws, and draws far apart (a bounding box over 256x256 and over
// twice the pixels they write) take dispatches of their own.
TEST(Compute, DrawsOfOneTextureShareADispatchInOrder) {
    auto r = compute_renderer();
    std::mt19937 rng(7);
    auto dst = random_texture(rng, 96, 64, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    const Source src = random_texture(rng, 24, 16, ref::Layout::argb8888);
    std::uniform_int_distribution<int> x(-4, 76), y(-4, 52);
    const Color bg{40 / 255.f, 90 / 255.f, 20 / 255.f, 1.0f};
    struct Case {
        const char* name;
        int draws;
        uint64_t dispatches;  // the clear's and the draws'
    };
    for (const Case& c : {Case{"40 overlapping draws", 40, 2}, Case{"70 draws", 70, 3}}) {
        SCOPED_TRACE(c.name);
        const uint64_t before = r->stats().compute_dispatches;
        ref::Image want(96, 64);
        auto frame = r->begin(*dst.tex);
        ASSERT_TRUE(frame);
        frame->clear(bg);
        ref::draw_rect(want, {0, 0, 96, 64}, {bg.r, bg.g, bg.b, bg.a}, Blend::none, std::nullopt);
        for (int i = 0; i < c.draws; i++) {
            TextureDraw d;
            d.texture = src.tex.get();
            d.dst = {x(rng), y(rng), 24, 16};
            d.alpha = i % 3 == 0 ? 1.0f : 0.6f;
            d.blend = i % 5 == 4 ? Blend::none : Blend::premultiplied;
            ASSERT_TRUE(frame->draw_texture(d));
            ref::draw_texture(want, src.img, {}, d.dst, Transform::normal, d.alpha, d.filter, d.blend, std::nullopt);
        }
        ASSERT_TRUE(frame->submit());
        EXPECT_TRUE(images_match(read_back(*dst.tex), want, 1));
        EXPECT_EQ(r->stats().compute_dispatches - before, c.dispatches);
    }
    {  // two draws in opposite corners of a larger target, no clear: one dispatch each
        auto big = random_texture(rng, 400, 300, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
        ref::Image want = big.img;
        auto frame = r->begin(*big.tex);
        ASSERT_TRUE(frame);
        const uint64_t before = r->stats().compute_dispatches;
        for (Box b : {Box{0, 0, 24, 16}, Box{376, 284, 24, 16}}) {
            TextureDraw d;
            d.texture = src.tex.get();
            d.dst = b;
            d.alpha = 0.5f;
            ASSERT_TRUE(frame->draw_texture(d));
            ref::draw_texture(want, src.img, {}, b, Transform::normal, d.alpha, d.filter, d.blend, std::nullopt);
        }
        ASSERT_TRUE(frame->submit());
        EXPECT_TRUE(images_match(read_back(*big.tex), want, 1));
        EXPECT_EQ(r->stats().compute_dispatches - before, 2u);
    }
    EXPECT_EQ(r->stats().render_passes, 0u);
}

// What the compute pass does not take goes through the render pass: a frame with an effect (a
// rounded-corner texture draw), and a target format it does not write (16-bit float).
TEST(Compute, OtherFramesUseTheRenderPass) {
    auto r = compute_renderer();
    std::mt19937 rng(5);
    auto dst = random_texture(rng, 40, 30, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    Source src = random_texture(rng, 20, 10, ref::Layout::argb8888);
    auto frame = r->begin(*dst.tex);
    ASSERT_TRUE(frame);
    TextureDraw d;
    d.texture = src.tex.get();
    d.dst = {4, 4, 20, 10};
    ASSERT_TRUE(frame->draw_rounded_texture(d, CornerRadii::all(4)));
    ASSERT_TRUE(frame->submit());
    EXPECT_EQ(r->stats().compute_passes, 0u);
    EXPECT_EQ(r->stats().render_passes, 1u);

    auto half = Texture::create(gpu(), fourcc('A', 'B', '4', 'H'), 40, 30, TextureUsage::sample | TextureUsage::render);
    ASSERT_TRUE(half) << half.error().message;
    auto f2 = r->begin(**half);
    ASSERT_TRUE(f2);
    f2->clear({0.25f, 0.5f, 0.75f, 1.0f});
    ASSERT_TRUE(f2->submit());
    EXPECT_EQ(r->stats().compute_passes, 0u);
    EXPECT_EQ(r->stats().render_passes, 2u);
}


// WLGPU_COMPOSITE set (or unset) for a scope, restored after (test_render_compute sets it).
class CompositeEnv {
public:
    explicit CompositeEnv(const char* value) {
        if (const char* e = std::getenv("WLGPU_COMPOSITE")) saved_ = e;
        if (value) setenv("WLGPU_COMPOSITE", value, 1);
        else unsetenv("WLGPU_COMPOSITE");
    }
    ~CompositeEnv() {
        if (saved_) setenv("WLGPU_COMPOSITE", saved_->c_str(), 1);
        else unsetenv("WLGPU_COMPOSITE");
    }

private:
    std::optional<std::string> saved_;
};

// Composite::automatic (the default): a CPU adapter (lavapipe) takes the render pass without
// measuring; a GPU is measured once, and the measurement's frames are not in the stats. The
// environment variable overrides the options, either way.
TEST(Compute, AutomaticChoosesPerDeviceAndTheEnvironmentOverrides) {
    {
        CompositeEnv env(nullptr);
        auto r = own_renderer();
        if (gpu().identity().type == WGPUAdapterType_CPU) {
            EXPECT_EQ(r->composite(), Composite::raster);
        }
        EXPECT_EQ(r->stats().frames, 0u);
        EXPECT_EQ(r->stats().compute_passes, 0u);
        EXPECT_EQ(own_renderer()->composite(), r->composite());  // the same device, the same choice
        RendererOptions o;
        o.composite = Composite::compute;
        EXPECT_EQ(own_renderer(o)->composite(), Composite::compute);
        o.composite = Composite::raster;
        EXPECT_EQ(own_renderer(o)->composite(), Composite::raster);
    }
    {
        CompositeEnv env("compute");
        EXPECT_EQ(own_renderer()->composite(), Composite::compute);
        RendererOptions o;
        o.composite = Composite::raster;
        EXPECT_EQ(own_renderer(o)->composite(), Composite::compute);
    }
    {
        CompositeEnv env("raster");
        RendererOptions o;
        o.composite = Composite::compute;
        EXPECT_EQ(own_renderer(o)->composite(), Composite::raster);
    }
    {
        CompositeEnv none(nullptr);
        const Composite chosen = own_renderer()->composite();
        CompositeEnv env("auto");
        RendererOptions o;
        o.composite = Composite::compute;
        EXPECT_EQ(own_renderer(o)->composite(), chosen);
    }
}

// The measurement behind it renders the same frames both ways (here small: 128x64, 2 counted
// frames each after one uncounted), times each, and leaves the renderer's setting as it was.
TEST(Compute, MeasurementRendersBothWays) {
    CompositeEnv env(nullptr);
    for (Composite c : {Composite::raster, Composite::compute}) {
        RendererOptions o;
        o.composite = c;
        auto r = own_renderer(o);
        auto t = render::measure_composite(*r, 128, 64, 2, 3);
        ASSERT_TRUE(t) << t.error().message;
        EXPECT_GT(t->raster_ms, 0.0);
        EXPECT_GT(t->compute_ms, 0.0);
        EXPECT_EQ(r->stats().frames, 6u);
        EXPECT_EQ(r->stats().compute_passes, 3u);
        EXPECT_EQ(r->stats().render_passes, 3u);
        EXPECT_EQ(r->composite(), c);
    }
}

// Where Composite::automatic chose the compute pass, small frames stay in the render pass:
// the compute pass only when the dispatches write kComputeMinPixelsPerDispatch pixels each on
// average (the clear counting as one) and kComputeMinPixelsPerFrame in all.
TEST(Compute, AutomaticComputeLeavesSmallFramesToTheRenderPass) {
    CompositeEnv env(nullptr);
    auto r = compute_renderer();
    r->impl().compute_min = {render::kComputeMinPixelsPerDispatch, render::kComputeMinPixelsPerFrame};
    std::mt19937 rng(11);
    auto dst = random_texture(rng, 1024, 768, ref::Layout::argb8888, TextureUsage::sample | TextureUsage::render);
    const Source src = random_texture(rng, 8, 8, ref::Layout::argb8888);
    static_assert(1024 * 768 > render::kComputeMinPixelsPerFrame);
    static_assert(600 * 600 < render::kComputeMinPixelsPerFrame && 600 * 600 > render::kComputeMinPixelsPerDispatch);
    uint64_t compute = 0, raster = 0;
    auto check = [&](bool want_compute) {
        (want_compute ? compute : raster)++;
        EXPECT_EQ(r->stats().compute_passes, compute);
        EXPECT_EQ(r->stats().render_passes, raster);
    };
    {  // a clear and a rect: one dispatch of 1024 * 768 + 200 * 200 pixels
        auto f = r->begin(*dst.tex);
        ASSERT_TRUE(f);
        f->clear({0.5f, 0.25f, 0.125f, 1.0f});
        ASSERT_TRUE(f->draw_rect({{10, 20, 200, 200}, {0.2f, 0.1f, 0.3f, 0.5f}}));
        ASSERT_TRUE(f->submit());
        check(true);
    }
    {  // a clear and 30 texture draws between 30 rects, far apart: 61 dispatches of 13000 pixels
        auto f = r->begin(*dst.tex);
        ASSERT_TRUE(f);
        f->clear({0.5f, 0.25f, 0.125f, 1.0f});
        for (int i = 0; i < 30; i++) {
            TextureDraw d;
            d.texture = src.tex.get();
            d.dst = {i * 33, i * 25, 8, 8};
            ASSERT_TRUE(f->draw_texture(d));
            ASSERT_TRUE(f->draw_rect({{1000 - i * 33, i * 25, 8, 8}, {0.2f, 0.1f, 0.3f, 0.5f}}));
        }
        ASSERT_TRUE(f->submit());
        check(false);
    }
    {  // one rect of 600x600, no clear: one dispatch, too few pixels for a frame
        auto f = r->begin(*dst.tex);
        ASSERT_TRUE(f);
        ASSERT_TRUE(f->draw_rect({{100, 100, 600, 600}, {0.2f, 0.1f, 0.3f, 0.5f}}));
        ASSERT_TRUE(f->submit());
        check(false);
    }
    r->impl().compute_min = {};  // Composite::compute chosen explicitly: every frame it can take
    auto f = r->begin(*dst.tex);
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->draw_rect({{5, 5, 30, 30}, {0.2f, 0.1f, 0.3f, 0.5f}}));
    ASSERT_TRUE(f->submit());
    check(true);
}

// The rule: the compute pass only with a clear margin (at most 3/4 of the render pass's time).
TEST(Compute, PreferComputeNeedsAMargin) {
    EXPECT_TRUE(render::prefer_compute({1.0, 0.75}));
    EXPECT_TRUE(render::prefer_compute({1.388, 0.492}));  // the H200, bench_compute 1080p
    EXPECT_FALSE(render::prefer_compute({1.0, 0.8}));
    EXPECT_FALSE(render::prefer_compute({64.6, 141.2}));  // lavapipe, the same
    EXPECT_FALSE(render::prefer_compute({1.0, 0.0}));
}

}  // namespace
}  // namespace wlgpu::test
