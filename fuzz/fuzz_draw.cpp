// libFuzzer target: draw parameters (wlgpu/render.hpp Frame): source crop, destination box,
// transform, alpha, filter, blend, clip and colour, as raw bits (NaN, infinities, denormals,
// out-of-enum values, boxes that overflow int32), rendered into a 64x48 target. The sources are a
// 24x16 and a 1x1 texture of non-uniform pixels; "scale" is the ratio of dst to src.
//
// Input layout (little-endian, zeros past the end; fuzz/make_corpus.py writes seeds):
//   u8 operation count (mod 9), then per operation u8 kind (mod 3):
//     0 clear:   4 x f32 colour, clip
//     1 texture: u8 source (bit 0), 4 x f64 src crop, 4 x i32 dst, u32 transform (raw),
//                f32 alpha, u32 filter (raw), u32 blend (raw), clip
//     2 rect:    4 x i32 box, 4 x f32 colour, u32 blend (raw), clip
//   clip: u8 (0 none, 1 empty list, n: 1 + (n - 2) % 4 boxes of 4 x i32)
#include "fuzz_common.hpp"
#include "wlgpu/format.hpp"
#include "wlgpu/render.hpp"

namespace {

using namespace wlgpu;
using wlgpu::fuzz::Input;

constexpr uint32_t kArgb8888 = fourcc('A', 'R', '2', '4');
constexpr uint64_t kWaitEvery = 64;

struct Scene {
    std::unique_ptr<Renderer> renderer;
    std::shared_ptr<Texture> target, src, dot;
};

std::shared_ptr<Texture> must(Result<std::shared_ptr<Texture>> t, const char* what) {
    if (!t) fuzz::finding(std::string(what) + ": " + t.error().message);
    return *t;
}

Scene& scene() {
    static Scene* s = [] {
        auto* s = new Scene();
        Bridge& b = *fuzz::harness().bridge;
        auto r = Renderer::create(b);
        if (!r) fuzz::finding("Renderer::create: " + r.error().message);
        s->renderer = std::move(*r);
        s->target = must(Texture::create(b, kArgb8888, 64, 48, TextureUsage::render | TextureUsage::sample), "target");
        std::vector<uint8_t> px(24 * 16 * 4);
        for (size_t i = 0; i < px.size(); i++) px[i] = uint8_t(i * 37 + (i >> 5));
        s->src = must(Texture::from_pixels(b, kArgb8888, 24, 16, 24 * 4, px.data()), "source");
        s->dot = must(Texture::from_pixels(b, kArgb8888, 1, 1, 4, px.data()), "1x1 source");
        return s;
    }();
    return *s;
}

// The clip's boxes live in `store` (a span of it goes into the draw).
Clip read_clip(Input& in, std::vector<Box>& store) {
    uint8_t c = in.u8();
    if (c == 0) return std::nullopt;
    store.assign(c == 1 ? 0 : 1 + (c - 2) % 4, Box{});
    for (Box& b : store) b = {in.i32(), in.i32(), in.i32(), in.i32()};
    return std::span<const Box>(store);
}

Color read_color(Input& in) { return {in.f32(), in.f32(), in.f32(), in.f32()}; }

uint64_t draws_accepted = 0, frames = 0;

void report() {
    auto& h = fuzz::harness();
    if (auto r = h.bridge->wait_idle(); !r) fuzz::finding("wait_idle at exit: " + r.error().message);
    h.check_fds("at exit");
    std::fprintf(stderr, "wlgpu-fuzz draw: %llu inputs, %llu frames submitted, %llu draws accepted; fds %d at the first check, %d at exit\n",
                 (unsigned long long)h.inputs, (unsigned long long)frames, (unsigned long long)draws_accepted,
                 h.fd_baseline, h.fd_last);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto& h = fuzz::start_input([] { scene(); }, report);
    Scene& s = scene();
    Input in(data, size);

    auto frame = s.renderer->begin(*s.target);
    if (!frame) fuzz::finding("Renderer::begin: " + frame.error().message);
    std::vector<std::vector<Box>> clips;  // alive until submit
    clips.reserve(8);
    for (int n = in.u8() % 9; n > 0; n--) {
        clips.emplace_back();
        switch (in.u8() % 3) {
        case 0: {
            Color c = read_color(in);
            frame->clear(c, read_clip(in, clips.back()));
            break;
        }
        case 1: {
            TextureDraw d;
            d.texture = (in.u8() & 1) ? s.dot.get() : s.src.get();
            d.src = {in.f64(), in.f64(), in.f64(), in.f64()};
            d.dst = {in.i32(), in.i32(), in.i32(), in.i32()};
            d.transform = Transform(in.u32());
            d.alpha = in.f32();
            d.filter = Filter(in.u32());
            d.blend = Blend(in.u32());
            d.clip = read_clip(in, clips.back());
            if (frame->draw_texture(d)) draws_accepted++;
            break;
        }
        default: {
            RectDraw d;
            d.box = {in.i32(), in.i32(), in.i32(), in.i32()};
            d.color = read_color(in);
            d.blend = Blend(in.u32());
            d.clip = read_clip(in, clips.back());
            if (frame->draw_rect(d)) draws_accepted++;
            break;
        }
        }
    }
    auto sp = frame->submit();
    if (!sp) fuzz::finding("Frame::submit: " + sp.error().message);
    frames++;
    if (frames % kWaitEvery == 0) {
        if (auto r = h.bridge->wait_idle(); !r) fuzz::finding("wait_idle: " + r.error().message);
    }
    h.after_input();
    return 0;
}
