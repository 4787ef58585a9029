// DMA-BUF import, YUV conversion and rendering into DMA-BUFs, on real kernel dma-bufs.
// Import tests need lavapipe's VK_EXT_image_drm_format_modifier, which exists only with
// /dev/udmabuf, i.e. in the test bed (scripts/testbed): on the host they skip with the reason,
// in the test bed they must not skip. Validation tests run everywhere (no driver call).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <format>
#include <random>
#include <vector>

#include "import/test_dmabuf_alloc.hpp"
#include "import/dmabuf_internal.hpp"
#include "support/gpu.hpp"
#include "support/signal_mask.hpp"
#include "wlgpu/dmabuf.hpp"
#include "wlgpu/render.hpp"

using namespace wlgpu;
using namespace wlgpu::test;

namespace {

constexpr uint32_t kARGB8888 = fourcc('A', 'R', '2', '4'), kXRGB8888 = fourcc('X', 'R', '2', '4');
constexpr uint32_t kABGR8888 = fourcc('A', 'B', '2', '4'), kXBGR8888 = fourcc('X', 'B', '2', '4');
constexpr uint32_t kABGR2101010 = fourcc('A', 'B', '3', '0'), kABGR16161616F = fourcc('A', 'B', '4', 'H');
constexpr uint32_t kNV12 = fourcc('N', 'V', '1', '2'), kNV21 = fourcc('N', 'V', '2', '1'), kNV16 = fourcc('N', 'V', '1', '6');
constexpr uint32_t kP010 = fourcc('P', '0', '1', '0'), kYUV420 = fourcc('Y', 'U', '1', '2'), kYVU420 = fourcc('Y', 'V', '1', '2');
constexpr uint32_t kYUYV = fourcc('Y', 'U', 'Y', 'V'), kUYVY = fourcc('U', 'Y', 'V', 'Y');

// Skips outside the test bed; fails inside it if the device cannot import.
#define REQUIRE_DMABUF()                                                                                     \
    do {                                                                                                     \
        if (!in_testbed())                                                                                   \
            GTEST_SKIP() << "no /dev/udmabuf: lavapipe exposes DMA-BUF import (VK_EXT_image_drm_format_"     \
                            "modifier) only in the test bed; run scripts/testbed -- ./build/tests/test_dmabuf"; \
        ASSERT_TRUE(gpu().caps().dmabuf_import) << "in the test bed but the device has no DMA-BUF import";  \
    } while (0)

uint32_t align(uint32_t v, uint32_t a) { return (v + a - 1) / a * a; }

DmaBuf must_alloc(Alloc a, size_t size) {
    DmaBuf b;
    std::string why;
    if (!alloc_dmabuf(a, size, b, why)) ADD_FAILURE() << alloc_name(a) << ": " << why;
    return b;
}

// A LINEAR single-plane buffer with random content.
struct RgbBuffer {
    DmaBuf buf;
    DmabufAttributes attrs;
};
RgbBuffer make_rgb(Alloc a, uint32_t format, uint32_t w, uint32_t h, uint32_t bpp, uint32_t seed) {
    RgbBuffer r;
    r.attrs.width = w, r.attrs.height = h, r.attrs.format = format, r.attrs.n_planes = 1;
    r.attrs.planes[0] = {-1, 0, align(w * bpp, 256)};
    r.buf = must_alloc(a, size_t(r.attrs.planes[0].stride) * h);
    r.attrs.planes[0].fd = r.buf.fd;
    if (!r.buf.map) return r;
    std::mt19937 rng(seed);
    r.buf.sync(true, true);
    for (size_t i = 0; i < size_t(r.attrs.planes[0].stride) * h; i++) r.buf.map[i] = uint8_t(rng());
    if (format == kABGR16161616F)  // keep the halves finite (no NaN/Inf patterns)
        for (size_t i = 1; i < size_t(r.attrs.planes[0].stride) * h; i += 2) r.buf.map[i] &= 0x3b;
    r.buf.sync(false, true);
    return r;
}

// Reads the texture back in its own format and compares with the buffer's rows.
void expect_same_content(Texture& t, const RgbBuffer& r, uint32_t bpp) {
    std::vector<uint8_t> got(size_t(r.attrs.width) * bpp * r.attrs.height);
    ASSERT_TRUE(t.shared_access->begin(false));
    auto ok = t.read_pixels(r.attrs.format, {0, 0, int32_t(r.attrs.width), int32_t(r.attrs.height)}, r.attrs.width * bpp,
                            got.data());
    ASSERT_TRUE(t.shared_access->end());
    ASSERT_TRUE(ok) << ok.error().message;
    r.buf.sync(true, false);
    for (uint32_t y = 0; y < r.attrs.height; y++)
        ASSERT_EQ(0, std::memcmp(got.data() + size_t(y) * r.attrs.width * bpp,
                                 r.buf.map + size_t(y) * r.attrs.planes[0].stride, size_t(r.attrs.width) * bpp))
            << "row " << y;
    r.buf.sync(false, false);
}

Renderer& renderer() {
    static std::unique_ptr<Renderer> r = [] {
        auto c = Renderer::create(gpu());
        if (!c) throw std::runtime_error(c.error().message);
        return std::move(*c);
    }();
    return *r;
}

}  // namespace

// ---------------------------------------------------------------- validation (no driver call)

class DmabufValidation : public ::testing::Test {
protected:
    void SetUp() override {
        memfd = memfd_create("wlgpu-validation", MFD_CLOEXEC);
        ASSERT_GE(memfd, 0);
        ASSERT_EQ(0, ftruncate(memfd, 8192));
        a.width = 64, a.height = 32, a.format = kNV12, a.n_planes = 2;
        a.planes[0] = {memfd, 0, 64};
        a.planes[1] = {memfd, 4096, 64};
    }
    void TearDown() override { close(memfd); }
    std::string error() {
        auto r = validate_dmabuf(gpu(), a);
        return r ? std::string("(no error)") : r.error().message;
    }
    int memfd = -1;
    DmabufAttributes a;
};

// The fixture's buffer is a memfd: its layout is valid, and it is refused only for not being a
// dma-buf (a Vulkan driver cannot import it). Runs on the host: no driver call.
TEST_F(DmabufValidation, MemfdIsNotADmabuf) {
    EXPECT_EQ(error(), std::format("dmabuf 64x32 NV12 plane 0: fd {} is not a dma-buf (its file system magic is {:#x}, "
                                   "a dma-buf's 0x444d4142)",
                                   memfd, 0x01021994 /* TMPFS_MAGIC: memfds live on an internal tmpfs */));
    DmabufAttributes rgb;
    rgb.width = 16, rgb.height = 16, rgb.format = kXRGB8888, rgb.n_planes = 1, rgb.planes[0] = {memfd, 0, 64};
    auto i = import_dmabuf(gpu(), rgb);
    ASSERT_FALSE(i) << "a memfd must not reach the driver";
    EXPECT_EQ(i.error().code, Errc::invalid_argument);
    EXPECT_NE(i.error().message.find("is not a dma-buf"), std::string::npos) << i.error().message;
    auto c = copy_dmabuf(gpu(), rgb);  // the copy path runs the same validation
    ASSERT_FALSE(c) << "the copy path must not map a memfd as a dma-buf";
    EXPECT_NE(c.error().message.find("is not a dma-buf"), std::string::npos) << c.error().message;
}

// The same layout on a real dma-buf passes (test bed: udmabuf).
TEST_F(DmabufValidation, ValidLayoutOfADmabufPasses) {
    REQUIRE_DMABUF();
    DmaBuf b = must_alloc(Alloc::udmabuf, 8192);
    a.planes[0].fd = a.planes[1].fd = b.fd;
    EXPECT_TRUE(validate_dmabuf(gpu(), a)) << error();
}

TEST_F(DmabufValidation, BufferSmallerThanLayout) {
    a.planes[1].offset = 7800;
    EXPECT_EQ(error(), "dmabuf 64x32 NV12 plane 1: offset+stride*height (7800 + 64 x 16 = 8824) exceeds the 8192-byte "
                       "buffer");
}

TEST_F(DmabufValidation, Messages) {
    auto expect_has = [&](const char* what) {
        std::string e = error();
        EXPECT_NE(e.find(what), std::string::npos) << e;
        EXPECT_EQ(e.rfind("dmabuf ", 0), 0u) << "names the buffer: " << e;
    };
    { auto s = a; a.planes[1].offset = 7800; expect_has("plane 1: offset+stride*height (7800 + 64 x 16 = 8824) exceeds the 8192-byte buffer"); a = s; }
    { auto s = a; a.planes[0].fd = 999; expect_has("plane 0: fd 999 is not open"); a = s; }
    { auto s = a; a.planes[1].fd = -1; expect_has("plane 1: fd -1 is invalid"); a = s; }
    { auto s = a; a.n_planes = 1; expect_has("1 planes, but NV12 with the LINEAR modifier has 2"); a = s; }
    { auto s = a; a.n_planes = 5; expect_has("5 planes (1 to 4 allowed)"); a = s; }
    { auto s = a; a.planes[0].stride = 32; expect_has("plane 0: stride 32 is less than 64 texels x 1 bytes = 64"); a = s; }
    { auto s = a; a.planes[1].stride = 63; expect_has("plane 1: stride 63 is less than 32 texels x 2 bytes"); a = s; }
    { auto s = a; a.planes[1].stride = 0xfffffffeu; a.planes[1].offset = 0xffffff00u; expect_has("exceeds the 8192-byte buffer"); a = s; }
    { auto s = a; a.planes[1].offset = 1024; expect_has("planes 0 and 1 overlap in the same buffer"); a = s; }
    { auto s = a; a.planes[1].offset = 4097; expect_has("plane 1: offset 4097 is not a multiple of 2 bytes (the plane's texel)"); a = s; }
    { auto s = a; a.format = fourcc('Z', 'Z', 'Z', 'Z'); expect_has("unknown or unsupported DRM format"); a = s; }
    { auto s = a; a.modifier = kDrmFormatModInvalid; expect_has("implicit modifiers"); a = s; }
    { auto s = a; a.modifier = 0x0100000000000001ull; expect_has("YUV formats are imported with the LINEAR modifier only"); a = s; }
    { auto s = a; a.width = gpu().limits().maxTextureDimension2D + 2; a.planes[0].stride = a.width; expect_has("over the device limit"); a = s; }
    { auto s = a; a.width = 0; expect_has("zero size"); a = s; }
    {
        int p[2];
        ASSERT_EQ(0, pipe(p));
        auto s = a;
        a.planes[1].fd = p[0];
        expect_has("is not a dma-buf with a size");
        a = s;
        close(p[0]), close(p[1]);
    }
    {  // a packed 4:2:2 format with an odd width
        auto s = a;
        a = {};
        a.width = 63, a.height = 2, a.format = kYUYV, a.n_planes = 1, a.planes[0] = {memfd, 0, 256};
        std::string e = error();
        EXPECT_NE(e.find("even width"), std::string::npos) << e;
        a = s;
    }
}

// What the import refuses before the driver, validation refuses too (fuzz_dmabuf in the test bed
// found both gaps: the linux-dmabuf-v1 check accepted buffers that the first commit then failed).
// A modifier the device does not list, and render usage of a format that cannot be rendered to.
TEST_F(DmabufValidation, RefusesWhatTheImportRefuses) {
    REQUIRE_DMABUF();
    DmaBuf b = must_alloc(Alloc::udmabuf, 8192);
    DmabufAttributes rgb;
    rgb.width = 16, rgb.height = 16, rgb.format = kARGB8888, rgb.n_planes = 1, rgb.planes[0] = {b.fd, 0, 64};
    rgb.modifier = 0x0100000000000001ull;  // I915_FORMAT_MOD_X_TILED: lavapipe lists LINEAR only
    auto v = validate_dmabuf(gpu(), rgb);
    ASSERT_FALSE(v) << "an unlisted modifier must fail validation";
    EXPECT_EQ(v.error().code, Errc::unsupported);
    EXPECT_NE(v.error().message.find("does not support modifier"), std::string::npos) << v.error().message;
    EXPECT_NE(v.error().message.find("(it lists LINEAR"), std::string::npos) << v.error().message;
    auto vt = validate_dmabuf_texture(gpu(), rgb);
    ASSERT_FALSE(vt);
    EXPECT_EQ(vt.error().message, v.error().message);
    auto t = dmabuf_texture(gpu(), rgb);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().message, v.error().message) << "validation and import give the same reason";

    a.planes[0].fd = a.planes[1].fd = b.fd;  // NV12, valid layout
    DmabufImportOptions render;
    render.usage = TextureUsage::sample | TextureUsage::render;
    EXPECT_TRUE(validate_dmabuf_texture(gpu(), a)) << error();
    auto r = validate_dmabuf_texture(gpu(), a, render);
    ASSERT_FALSE(r) << "NV12 as a render target must fail validation";
    EXPECT_NE(r.error().message.find("NV12 cannot be a render target"), std::string::npos) << r.error().message;
    auto ti = dmabuf_texture(gpu(), a, render);
    ASSERT_FALSE(ti);
    EXPECT_EQ(ti.error().message, r.error().message);
}

TEST_F(DmabufValidation, CallerFdsAreNotClosed) {
    (void)validate_dmabuf(gpu(), a);
    EXPECT_GE(fcntl(memfd, F_GETFD), 0);
}

// ---------------------------------------------------------------- import (test bed)

TEST(DmabufImport, RgbFormatsReadBackExactly) {
    REQUIRE_DMABUF();
    struct F {
        uint32_t format, bpp;
    } fs[] = {{kARGB8888, 4}, {kXRGB8888, 4}, {kABGR8888, 4}, {kXBGR8888, 4}, {kABGR2101010, 4}, {kABGR16161616F, 8}};
    for (auto f : fs) {
        SCOPED_TRACE(drm_format_name(f.format));
        auto r = make_rgb(Alloc::udmabuf, f.format, 61, 17, f.bpp, f.format);
        auto t = import_dmabuf(gpu(), r.attrs);
        ASSERT_TRUE(t) << t.error().message;
        EXPECT_FALSE(is_yuv(**t));
        expect_same_content(**t, r, f.bpp);
    }
}

TEST(DmabufImport, Allocators) {
    REQUIRE_DMABUF();
    for (Alloc a : {Alloc::udmabuf, Alloc::heap, Alloc::vgem}) {
        SCOPED_TRACE(alloc_name(a));
        DmaBuf probe;
        std::string why;
        if (!alloc_dmabuf(a, 4096, probe, why)) {
            ADD_FAILURE() << "the test bed should have " << alloc_name(a) << ": " << why;
            continue;
        }
        auto r = make_rgb(a, kARGB8888, 64, 64, 4, 7);
        auto t = import_dmabuf(gpu(), r.attrs);
        ASSERT_TRUE(t) << t.error().message;
        expect_same_content(**t, r, 4);
        std::printf("[ info ] %s: ARGB8888 64x64 LINEAR imports and reads back exactly\n", alloc_name(a));
    }
}

// Zero copy: the cached texture sees new content written through the mmap, without re-import.
TEST(DmabufImport, CachedTextureSeesNewContent) {
    REQUIRE_DMABUF();
    auto r = make_rgb(Alloc::udmabuf, kXBGR8888, 32, 32, 4, 1);
    auto t = import_dmabuf(gpu(), r.attrs);
    ASSERT_TRUE(t) << t.error().message;
    expect_same_content(**t, r, 4);
    r.buf.sync(true, true);
    for (size_t i = 0; i < r.buf.size; i++) r.buf.map[i] ^= 0x5a;
    r.buf.sync(false, true);
    expect_same_content(**t, r, 4);
}

TEST(DmabufImport, NoFdLeaksAndCallerKeepsFds) {
    REQUIRE_DMABUF();
    auto r = make_rgb(Alloc::udmabuf, kARGB8888, 32, 32, 4, 2);
    {  // warm-up: Dawn/lavapipe open their own long-lived fds on first use
        auto t = import_dmabuf(gpu(), r.attrs);
        ASSERT_TRUE(t);
        expect_same_content(**t, r, 4);
    }
    ASSERT_TRUE(gpu().wait_idle());
    const int before = count_fds();
    for (int i = 0; i < 10; i++) {
        auto t = import_dmabuf(gpu(), r.attrs);
        ASSERT_TRUE(t) << t.error().message;
        expect_same_content(**t, r, 4);
        (void)(*t)->shared_access->export_end_sync_file();  // a sync_file (closed at once) or nothing
    }
    ASSERT_TRUE(gpu().wait_idle());
    for (int i = 0; i < 5; i++) gpu().process_events();
    EXPECT_EQ(before, count_fds()) << "fds leaked by import/access/destroy";
    EXPECT_GE(fcntl(r.buf.fd, F_GETFD), 0) << "the caller's fd must stay open";
}

TEST(DmabufImport, AccessNestsAndExportsAFence) {
    REQUIRE_DMABUF();
    auto r = make_rgb(Alloc::udmabuf, kARGB8888, 16, 16, 4, 3);
    auto t = import_dmabuf(gpu(), r.attrs);
    ASSERT_TRUE(t) << t.error().message;
    auto& acc = *(*t)->shared_access;
    EXPECT_FALSE(acc.end()) << "end() without begin()";
    ASSERT_TRUE(acc.begin(false));
    ASSERT_TRUE(acc.begin(false)) << "drawn twice in a frame: the second begin nests";
    std::vector<uint8_t> px(16 * 16 * 4);  // some GPU work inside the access
    ASSERT_TRUE((*t)->read_pixels(kARGB8888, {0, 0, 16, 16}, 64, px.data()));
    ASSERT_TRUE(acc.end());
    ASSERT_TRUE(acc.end());
    if (gpu().caps().sync_fd_fence) {
        auto fd = acc.export_end_sync_file();
        ASSERT_TRUE(fd) << fd.error().message;
        EXPECT_GE(fcntl(fd->get(), F_GETFD), 0);
        // Feeding it back as a wait works too (explicit sync in src/sync does this).
        EXPECT_TRUE(acc.add_wait_sync_file(fd->release()));
        ASSERT_TRUE(acc.begin(false));
        ASSERT_TRUE(acc.end());
    }
}

TEST(DmabufFormats, AdvertisedFormatsAreTruthful) {
    REQUIRE_DMABUF();
    const auto& tex = dmabuf_texture_formats(gpu());
    const auto& rend = dmabuf_render_formats(gpu());
    std::string list;
    for (const auto& f : tex) {
        list += " " + drm_format_name(f.fourcc);
        EXPECT_NE(std::ranges::find(f.modifiers, kDrmFormatModLinear), f.modifiers.end());
    }
    std::printf("[ info ] texture formats:%s\n", list.c_str());
    list.clear();
    for (const auto& f : rend) list += " " + drm_format_name(f.fourcc);
    std::printf("[ info ] render formats:%s\n", list.c_str());
    auto has = [](const std::vector<DmabufFormat>& v, uint32_t f) {
        return std::ranges::find_if(v, [&](const DmabufFormat& d) { return d.fourcc == f; }) != v.end();
    };
    for (uint32_t f :
         {kARGB8888, kXRGB8888, kABGR8888, kXBGR8888, kNV12, kNV21, kYUV420, kYVU420, kNV16, kYUYV, kUYVY, kP010})
        EXPECT_TRUE(has(tex, f)) << drm_format_name(f);
    for (uint32_t f : {kARGB8888, kXRGB8888, kABGR8888, kXBGR8888}) EXPECT_TRUE(has(rend, f)) << drm_format_name(f);
    EXPECT_FALSE(has(rend, kNV12));
}

// ---------------------------------------------------------------- YUV vs a CPU reference

namespace {

struct YuvCase {
    uint32_t format;
    const char* name;
    uint32_t planes;
    uint32_t sub_x, sub_y;  // chroma subsampling
    bool ten_bit;
};
const YuvCase kYuvCases[] = {
    {kNV12, "NV12", 2, 2, 2, false},   {kNV21, "NV21", 2, 2, 2, false}, {kP010, "P010", 2, 2, 2, true},
    {kYUV420, "YUV420", 3, 2, 2, false}, {kYVU420, "YVU420", 3, 2, 2, false}, {kNV16, "NV16", 2, 2, 1, false},
    {kYUYV, "YUYV", 1, 2, 1, false},   {kUYVY, "UYVY", 1, 2, 1, false},
};

// Independent reference (ITU-R BT.601/709/2020 YCbCr -> R'G'B', limited or full range, n bits).
// Codes are n-bit integers (P010: the 16-bit sample >> 6), or their bilinear mix.
std::array<uint8_t, 3> reference(double y, double cb, double cr, YuvColor c, int bits) {
    double kr = 0.299, kb = 0.114;
    if (c.matrix == YuvMatrix::bt709) kr = 0.2126, kb = 0.0722;
    if (c.matrix == YuvMatrix::bt2020) kr = 0.2627, kb = 0.0593;
    const double kg = 1 - kr - kb, s = std::ldexp(1.0, bits - 8), max = std::ldexp(1.0, bits) - 1;
    double Y, Pb, Pr;
    if (c.range == YuvRange::limited) {
        Y = (y - 16 * s) / (219 * s), Pb = (cb - 128 * s) / (224 * s), Pr = (cr - 128 * s) / (224 * s);
    } else {
        Y = y / max, Pb = (cb - 128 * s) / max, Pr = (cr - 128 * s) / max;
    }
    double R = Y + (2 - 2 * kr) * Pr;
    double B = Y + (2 - 2 * kb) * Pb;
    double G = (Y - kr * R - kb * B) / kg;
    auto q = [](double v) { return uint8_t(std::lround(std::clamp(v, 0.0, 1.0) * 255.0)); };
    return {q(R), q(G), q(B)};
}

struct YuvImage {
    uint32_t w, h;
    std::vector<int> y, cb, cr;  // codes; chroma at (x / sub_x, y / sub_y)
};

// Writes the image in the format's LINEAR layout into one buffer or one buffer per plane.
struct YuvBuffers {
    std::vector<DmaBuf> bufs;
    DmabufAttributes attrs;
};
YuvBuffers write_yuv(const YuvCase& c, const YuvImage& im, bool one_fd) {
    YuvBuffers out;
    DmabufAttributes& a = out.attrs;
    a.width = im.w, a.height = im.h, a.format = c.format, a.n_planes = c.planes;
    const uint32_t cw = im.w / c.sub_x, ch = im.h / c.sub_y, bps = c.ten_bit ? 2 : 1;
    struct P {
        uint32_t row_bytes, rows;
    } p[3];
    if (c.planes == 1) p[0] = {im.w * 2, im.h};
    else if (c.planes == 2) p[0] = {im.w * bps, im.h}, p[1] = {cw * 2 * bps, ch};
    else p[0] = {im.w, im.h}, p[1] = p[2] = {cw, ch};
    uint64_t off = 0;
    for (uint32_t i = 0; i < c.planes; i++) {
        a.planes[i].stride = align(p[i].row_bytes, 256);
        a.planes[i].offset = one_fd ? uint32_t(off) : 0;
        off += align(a.planes[i].stride * p[i].rows, 4096);
    }
    if (one_fd) out.bufs.push_back(must_alloc(Alloc::udmabuf, off));
    else
        for (uint32_t i = 0; i < c.planes; i++) out.bufs.push_back(must_alloc(Alloc::udmabuf, a.planes[i].stride * p[i].rows));
    for (auto& b : out.bufs) b.sync(true, true);
    auto plane = [&](uint32_t i) { return one_fd ? out.bufs[0].map + a.planes[i].offset : out.bufs[i].map; };
    for (uint32_t i = 0; i < c.planes; i++) a.planes[i].fd = one_fd ? out.bufs[0].fd : out.bufs[i].fd;
    // P010: the 10-bit code in the high bits; the low 6 bits carry noise that must be ignored (>> 6).
    auto put16 = [](uint8_t* d, int v) { uint16_t x = uint16_t(v << 6 | ((v * 37 + 11) & 63)); std::memcpy(d, &x, 2); };
    for (uint32_t y = 0; y < im.h; y++)
        for (uint32_t x = 0; x < im.w; x++) {
            const int Y = im.y[y * im.w + x];
            const size_t ci = size_t(y / c.sub_y) * cw + x / c.sub_x;
            const int U = im.cb[ci], V = im.cr[ci];
            if (c.planes == 1) {
                uint8_t* m = plane(0) + size_t(y) * a.planes[0].stride + (x / 2) * 4;
                const bool odd = x & 1;
                if (c.format == kYUYV) m[odd ? 2 : 0] = uint8_t(Y), m[1] = uint8_t(U), m[3] = uint8_t(V);
                else m[odd ? 3 : 1] = uint8_t(Y), m[0] = uint8_t(U), m[2] = uint8_t(V);
                continue;
            }
            uint8_t* yrow = plane(0) + size_t(y) * a.planes[0].stride;
            if (c.ten_bit) put16(yrow + x * 2, Y);
            else yrow[x] = uint8_t(Y);
            if (x % c.sub_x || y % c.sub_y) continue;
            const uint32_t cx = x / c.sub_x, cy = y / c.sub_y;
            if (c.planes == 2) {
                uint8_t* crow = plane(1) + size_t(cy) * a.planes[1].stride;
                const int first = c.format == kNV21 ? V : U, second = c.format == kNV21 ? U : V;
                if (c.ten_bit) put16(crow + cx * 4, first), put16(crow + cx * 4 + 2, second);
                else crow[cx * 2] = uint8_t(first), crow[cx * 2 + 1] = uint8_t(second);
            } else {
                const int p1 = c.format == kYVU420 ? V : U, p2 = c.format == kYVU420 ? U : V;
                plane(1)[size_t(cy) * a.planes[1].stride + cx] = uint8_t(p1);
                plane(2)[size_t(cy) * a.planes[2].stride + cx] = uint8_t(p2);
            }
        }
    for (auto& b : out.bufs) b.sync(false, true);
    return out;
}

bool advertised(uint32_t f) {
    for (const auto& d : dmabuf_texture_formats(gpu()))
        if (d.fourcc == f) return true;
    return false;
}

class DmabufYuv : public ::testing::TestWithParam<YuvCase> {};

// ---- CPU sampler, independent of the renderer (its WGSL and Dawn's sampler).
//
// A draw (no transform) maps the centre of target pixel (x, y) in dst to the normalised texture
// coordinate uv = (src.x + (x + 0.5 - dst.x) / dst.w * src.w) / W (and likewise in y), as
// wlroots' renderers do. A plane of PW x PH texels is then read at uv:
//   nearest:  texel floor(uv * P);
//   bilinear: p = uv * P - 0.5, the four texels around p (clamped to the edge), weights fract(p).
// Chroma siting checked: MIDPOINT in x and y (Vulkan VK_CHROMA_LOCATION_MIDPOINT, what wlroots'
// Vulkan renderer sets for every YCbCr format it samples, and what src/render/yuv_shader.cpp
// documents; wlroots 0.20 passes no chroma location): chroma sample j sits at the centre of the
// sub luma samples it covers, i.e. the chroma plane is read at the same uv as luma, on its own
// (subsampled) grid. This is checked for all 8 formats, packed 4:2:2 included. Co-sited
// chroma (H.264's default horizontal siting) would be read a quarter chroma texel to the left
// (4:2:x), which random data turns into errors far outside the tolerance.
struct Draw {
    const char* name;
    Filter filter;
    uint32_t dw, dh;  // dst size (dst at 0,0; the target has this size)
    FBox src;         // empty: the whole texture
};

struct PlaneGrid {  // one plane's codes, pw x ph
    const std::vector<int>* v;
    int pw, ph;
    double at(int x, int y) const {
        return double((*v)[size_t(std::clamp(y, 0, ph - 1)) * pw + std::clamp(x, 0, pw - 1)]);
    }
};

// Bilinear weights of lavapipe's sampler have 8 fractional bits (Vulkan subTexelPrecisionBits = 8)
// and may be truncated: a weight can be off by up to 2^-8. The reference therefore takes the
// range of results over the weights fract(p) - 2^-8 .. fract(p) + 2^-8 per axis (the result is
// bilinear in the weights, so the extremes are at the corners). WGSL-filtered formats (YUYV,
// UYVY, P010) use exact float weights, which lie inside that range.
constexpr double kWeightSlack = 1.0 / 256;

// The values (lo corner weights .. hi corner weights) a plane can give at uv.
std::array<double, 4> sample_range(const PlaneGrid& g, double u, double v, Filter f) {
    if (f == Filter::nearest) {
        const double s = g.at(int(std::floor(u * g.pw)), int(std::floor(v * g.ph)));
        return {s, s, s, s};
    }
    const double px = u * g.pw - 0.5, py = v * g.ph - 0.5;
    const int x0 = int(std::floor(px)), y0 = int(std::floor(py));
    const double fx = px - x0, fy = py - y0;
    std::array<double, 4> out{};
    int k = 0;
    for (double dy : {-kWeightSlack, kWeightSlack})
        for (double dx : {-kWeightSlack, kWeightSlack}) {
            const double wx = std::clamp(fx + dx, 0.0, 1.0), wy = std::clamp(fy + dy, 0.0, 1.0);
            const double top = g.at(x0, y0) * (1 - wx) + g.at(x0 + 1, y0) * wx;
            const double bot = g.at(x0, y0 + 1) * (1 - wx) + g.at(x0 + 1, y0 + 1) * wx;
            out[k++] = top * (1 - wy) + bot * wy;
        }
    return out;
}

// Per channel: the lowest and highest 8-bit reference value the draw may give at target (x, y).
struct Expect {
    std::array<int, 3> lo, hi;
};
Expect expected_at(const YuvCase& c, const YuvImage& im, const Draw& d, uint32_t x, uint32_t y, YuvColor col,
                   int bits) {
    const FBox src = d.src.empty() ? FBox{0, 0, double(im.w), double(im.h)} : d.src;
    const double u = (src.x + (x + 0.5) / d.dw * src.width) / im.w;
    const double v = (src.y + (y + 0.5) / d.dh * src.height) / im.h;
    const int cw = int(im.w / c.sub_x), ch = int(im.h / c.sub_y);
    const auto ys = sample_range({&im.y, int(im.w), int(im.h)}, u, v, d.filter);
    const auto cbs = sample_range({&im.cb, cw, ch}, u, v, d.filter);
    const auto crs = sample_range({&im.cr, cw, ch}, u, v, d.filter);
    // Planes filtered by the sampler (8-bit planar formats): lavapipe returns the bilinear result of
    // an 8-bit texture as an 8-bit value (llvmpipe's AoS filtering), so each filtered sample may be
    // one code off. Planes filtered in WGSL (YUYV, UYVY, P010) are mixed in float: no such slack.
    const double q = d.filter == Filter::bilinear && c.planes > 1 && !c.ten_bit ? 1.0 : 0.0;
    Expect e{{255, 255, 255}, {0, 0, 0}};
    // The result is monotonic in Y, Cb and Cr: the extremes are at the ends of each range.
    for (double Y : {*std::ranges::min_element(ys) - q, *std::ranges::max_element(ys) + q})
        for (int k = 0; k < 4; k++)  // Cb and Cr share the chroma grid: the same weights
            for (double dcb : {-q, q})
                for (double dcr : {-q, q}) {
                    const auto ref = reference(Y, cbs[k] + dcb, crs[k] + dcr, col, bits);
                    for (int i = 0; i < 3; i++)
                        e.lo[i] = std::min(e.lo[i], int(ref[i])), e.hi[i] = std::max(e.hi[i], int(ref[i]));
                }
    return e;
}

// Draws t with d into a target of d's size and compares every pixel with the CPU sampler.
// Tolerance: 1/255 per channel beyond the reference's range (float conversion in the shader and
// the unorm8 rounding of the target; the reference rounds the exact value).
void check_draw(const YuvCase& c, const YuvImage& im, Texture& t, const Draw& d, YuvColor col, int bits) {
    auto target = Texture::create(gpu(), kABGR8888, d.dw, d.dh, TextureUsage::sample | TextureUsage::render);
    ASSERT_TRUE(target) << target.error().message;
    ASSERT_TRUE(set_yuv_color(t, col));
    auto f = renderer().begin(**target);
    ASSERT_TRUE(f) << f.error().message;
    f->clear({0, 0, 0, 1});
    TextureDraw td;
    td.texture = &t;
    td.src = d.src;
    td.dst = {0, 0, int32_t(d.dw), int32_t(d.dh)};
    td.filter = d.filter;
    td.blend = Blend::none;
    auto dr = f->draw_texture(td);
    ASSERT_TRUE(dr) << dr.error().message;
    auto s = f->submit();
    ASSERT_TRUE(s) << s.error().message;
    std::vector<uint8_t> px(size_t(d.dw) * d.dh * 4);
    auto rp = (*target)->read_pixels(kABGR8888, {0, 0, int32_t(d.dw), int32_t(d.dh)}, d.dw * 4, px.data());
    ASSERT_TRUE(rp) << rp.error().message;
    int bad = 0, worst = 0;
    for (uint32_t y = 0; y < d.dh; y++)
        for (uint32_t x = 0; x < d.dw; x++) {
            const Expect e = expected_at(c, im, d, x, y, col, bits);
            const uint8_t* p = &px[(size_t(y) * d.dw + x) * 4];
            for (int k = 0; k < 3; k++) {
                const int over = std::max(e.lo[k] - int(p[k]), int(p[k]) - e.hi[k]);
                worst = std::max(worst, over);
                if (over > 1 && bad++ < 3)
                    ADD_FAILURE() << "pixel " << x << "," << y << " channel " << k << ": got " << int(p[k])
                                  << " want " << e.lo[k] << ".." << e.hi[k];
            }
            if (p[3] != 255 && bad++ < 3) ADD_FAILURE() << "pixel " << x << "," << y << " alpha " << int(p[3]);
        }
    EXPECT_LE(worst, 1);
    EXPECT_EQ(bad, 0);
}

}  // namespace

// Every format, every layout: all matrices x ranges at 1:1 nearest (the conversion), then the
// draws wlroots makes (bilinear is its default filter) scaled up 2x, scaled down by a non-integer
// factor and with a fractional source crop, for two encodings. Nearest is also checked at 2x
// (sample points are a quarter texel from texel edges there, so the choice is unambiguous).
TEST_P(DmabufYuv, MatchesItuReferenceForEveryMatrixRangeFilterAndScale) {
    REQUIRE_DMABUF();
    const YuvCase& c = GetParam();
    constexpr uint32_t W = 64, H = 32;
    const int bits = c.ten_bit ? 10 : 8, maxv = (1 << bits) - 1;
    YuvImage im{W, H, {}, {}, {}};
    std::mt19937 rng(c.format);
    for (uint32_t i = 0; i < W * H; i++) im.y.push_back(int(rng() % (maxv + 1)));
    for (uint32_t i = 0; i < (W / c.sub_x) * (H / c.sub_y); i++)
        im.cb.push_back(int(rng() % (maxv + 1))), im.cr.push_back(int(rng() % (maxv + 1)));

    const Draw one{"nearest 1:1", Filter::nearest, W, H, {}};
    const Draw scaled[] = {
        {"nearest 2x", Filter::nearest, 2 * W, 2 * H, {}},
        {"bilinear 1:1", Filter::bilinear, W, H, {}},
        {"bilinear 2x", Filter::bilinear, 2 * W, 2 * H, {}},
        {"bilinear 40x20 (x0.625)", Filter::bilinear, 40, 20, {}},
        {"bilinear crop 3.5,2.25 40x20.5 -> 56x27", Filter::bilinear, 56, 27, {3.5, 2.25, 40, 20.5}},
    };
    std::vector<std::pair<bool, const char*>> layouts{{true, "one fd"}};
    if (c.planes > 1) layouts.push_back({false, "one fd per plane"});
    if (c.format == kNV12) layouts.push_back({true, "one fd, per-plane import"});
    int checked = 0;
    for (auto [one_fd, layout_name] : layouts) {
        SCOPED_TRACE(layout_name);
        const bool per_plane_env = std::string(layout_name) == "one fd, per-plane import";
        if (per_plane_env) setenv("WLGPU_DMABUF_PER_PLANE", "1", 1);
        auto bufs = write_yuv(c, im, one_fd);
        auto t = import_dmabuf(gpu(), bufs.attrs);
        unsetenv("WLGPU_DMABUF_PER_PLANE");
        ASSERT_TRUE(t) << t.error().message;
        EXPECT_TRUE(advertised(c.format)) << "imports but is not advertised";
        ASSERT_TRUE(is_yuv(**t));
        // NV12 in one buffer takes Dawn's native multi-planar import (formats.md); everything else
        // (and NV12 when forced or split over fds) the per-plane path.
        const bool want_native = c.format == kNV12 && one_fd && !per_plane_env;
        if (want_native) {
            ASSERT_TRUE(gpu().caps().multi_planar) << "the test bed's Dawn has multi-planar formats";
        }
        EXPECT_EQ(dmabuf::yuv_of(**t)->native, want_native);
        for (YuvMatrix m : {YuvMatrix::bt601, YuvMatrix::bt709, YuvMatrix::bt2020})
            for (YuvRange r : {YuvRange::limited, YuvRange::full}) {
                SCOPED_TRACE(std::format("{} matrix {} range {}", one.name, int(m), int(r)));
                check_draw(c, im, **t, one, {m, r}, bits);
                checked++;
            }
        for (const Draw& d : scaled)
            for (YuvColor col : {YuvColor{YuvMatrix::bt601, YuvRange::limited}, YuvColor{YuvMatrix::bt2020, YuvRange::full}}) {
                SCOPED_TRACE(std::format("{} matrix {} range {}", d.name, int(col.matrix), int(col.range)));
                check_draw(c, im, **t, d, col, bits);
                checked++;
            }
    }
    std::printf("[ info ] %s: %d layout x draw x encoding combinations match\n", c.name, checked);
}

INSTANTIATE_TEST_SUITE_P(Formats, DmabufYuv, ::testing::ValuesIn(kYuvCases),
                         [](const auto& i) { return std::string(i.param.name); });

// The same YUV texture twice in one frame and once in a second frame on another target (two
// outputs), each draw showing a different part of a random image: every pixel of both targets
// is checked, and the texture is accessed once per frame (two Dawn accesses), not once per draw.
TEST(DmabufYuvDraw, TwiceInOneFrameAndOnTwoTargets) {
    REQUIRE_DMABUF();
    const YuvCase& c = kYuvCases[0];  // NV12
    YuvImage im{32, 32, {}, {}, {}};
    std::mt19937 rng(77);
    for (int i = 0; i < 32 * 32; i++) im.y.push_back(int(rng() % 256));
    for (int i = 0; i < 16 * 16; i++) im.cb.push_back(int(rng() % 256)), im.cr.push_back(int(rng() % 256));
    auto bufs = write_yuv(c, im, true);
    auto t = import_dmabuf(gpu(), bufs.attrs);
    ASSERT_TRUE(t) << t.error().message;
    auto* access = dmabuf::access_of(**t);
    ASSERT_NE(access, nullptr);
    auto a = Texture::create(gpu(), kABGR8888, 64, 32, TextureUsage::sample | TextureUsage::render);
    auto b = Texture::create(gpu(), kABGR8888, 32, 32, TextureUsage::sample | TextureUsage::render);
    ASSERT_TRUE(a && b);
    // Frame 1 on a: the whole image at x 0..31, its right half (src 16,0 16x32) at x 32..47;
    // x 48..63 keeps the clear colour. Frame 2 on b: the bottom half (src 0,16 32x16) at y 0..15;
    // y 16..31 keeps b's clear colour.
    struct Placed {
        Box dst;
        FBox src;
    };
    const Placed on_a[] = {{{0, 0, 32, 32}, {}}, {{32, 0, 16, 32}, {16, 0, 16, 32}}};
    const Placed on_b[] = {{{0, 0, 32, 16}, {0, 16, 32, 16}}};
    const uint64_t accesses = access->accesses();
    auto f1 = renderer().begin(**a);
    auto f2 = renderer().begin(**b);
    ASSERT_TRUE(f1 && f2);
    f1->clear({1, 0, 1, 1});
    f2->clear({0, 1, 1, 1});
    auto draw = [&](Frame& f, const Placed& p) {
        TextureDraw d;
        d.texture = t->get();
        d.filter = Filter::nearest;
        d.blend = Blend::none;
        d.dst = p.dst;
        d.src = p.src;
        auto dr = f.draw_texture(d);
        ASSERT_TRUE(dr) << dr.error().message;
    };
    for (const auto& p : on_a) draw(*f1, p);
    for (const auto& p : on_b) draw(*f2, p);
    ASSERT_TRUE(f1->submit());
    ASSERT_TRUE(f2->submit());
    EXPECT_EQ(access->accesses() - accesses, 2u) << "one Dawn access per frame, not per draw";
    EXPECT_EQ(access->depth(), 0u);
    auto check = [&](Texture& target, std::span<const Placed> placed, std::array<int, 3> clear) {
        const uint32_t tw = target.width(), th = target.height();
        std::vector<uint8_t> px(size_t(tw) * th * 4);
        ASSERT_TRUE(target.read_pixels(kABGR8888, {0, 0, int32_t(tw), int32_t(th)}, tw * 4, px.data()));
        int bad = 0;
        for (uint32_t y = 0; y < th; y++)
            for (uint32_t x = 0; x < tw; x++) {
                Expect e{clear, clear};
                for (const auto& p : placed)
                    if (int(x) >= p.dst.x && int(x) < p.dst.x + p.dst.width && int(y) >= p.dst.y &&
                        int(y) < p.dst.y + p.dst.height) {
                        const Draw d{"", Filter::nearest, uint32_t(p.dst.width), uint32_t(p.dst.height), p.src};
                        e = expected_at(c, im, d, x - p.dst.x, y - p.dst.y, {}, 8);
                    }
                for (int k = 0; k < 3; k++) {  // tolerance: 1/255 (float conversion, unorm8 rounding)
                    const int v = px[(size_t(y) * tw + x) * 4 + k];
                    if ((v < e.lo[k] - 1 || v > e.hi[k] + 1) && bad++ < 3)
                        ADD_FAILURE() << "pixel " << x << "," << y << " channel " << k << ": got " << v << " want "
                                      << e.lo[k] << ".." << e.hi[k];
                }
            }
        EXPECT_EQ(bad, 0);
    };
    check(**a, on_a, {255, 0, 255});
    check(**b, on_b, {0, 255, 255});
}

// ---------------------------------------------------------------- rendering into a DMA-BUF

TEST(DmabufRender, RenderIntoUdmabufReadThroughMmap) {
    REQUIRE_DMABUF();
    for (uint32_t format : {kXRGB8888, kARGB8888, kABGR8888}) {
        SCOPED_TRACE(drm_format_name(format));
        constexpr uint32_t W = 48, H = 40;
        auto r = make_rgb(Alloc::udmabuf, format, W, H, 4, 9);
        DmabufImportOptions o;
        o.usage = TextureUsage::sample | TextureUsage::render;
        auto t = import_dmabuf(gpu(), r.attrs, o);
        ASSERT_TRUE(t) << t.error().message;
        // A known scene: clear, an opaque rect, an shm texture copied 1:1 (nearest, no blend).
        std::vector<uint8_t> src(16 * 8 * 4);
        std::mt19937 rng(5);
        for (auto& v : src) v = uint8_t(rng());
        for (size_t i = 3; i < src.size(); i += 4) src[i] = 255;  // opaque ARGB8888 pixels
        auto st = Texture::from_pixels(gpu(), kARGB8888, 16, 8, 16 * 4, src.data());
        ASSERT_TRUE(st) << st.error().message;
        auto f = renderer().begin(**t);
        ASSERT_TRUE(f) << f.error().message;
        f->clear({0.0f, 0.0f, 1.0f, 1.0f});
        ASSERT_TRUE(f->draw_rect({{4, 6, 10, 12}, {1.0f, 0.0f, 0.0f, 1.0f}}));
        TextureDraw d;
        d.texture = st->get();
        d.dst = {20, 20, 16, 8};
        d.filter = Filter::nearest;
        d.blend = Blend::none;
        ASSERT_TRUE(f->draw_texture(d));
        ASSERT_TRUE(f->submit());
        ASSERT_TRUE(gpu().wait_idle());
        r.buf.sync(true, false);
        int bad = 0;
        for (uint32_t y = 0; y < H; y++)
            for (uint32_t x = 0; x < W; x++) {
                uint8_t want_rgb[3] = {0, 0, 255};  // R G B
                if (x >= 4 && x < 14 && y >= 6 && y < 18) want_rgb[0] = 255, want_rgb[2] = 0;
                if (x >= 20 && x < 36 && y >= 20 && y < 28) {
                    const uint8_t* s = &src[((y - 20) * 16 + (x - 20)) * 4];  // B G R A
                    want_rgb[0] = s[2], want_rgb[1] = s[1], want_rgb[2] = s[0];
                }
                const uint8_t* m = r.buf.map + size_t(y) * r.attrs.planes[0].stride + x * 4;
                uint8_t got[3];
                if (format == kABGR8888) got[0] = m[0], got[1] = m[1], got[2] = m[2];
                else got[0] = m[2], got[1] = m[1], got[2] = m[0];
                if (std::memcmp(got, want_rgb, 3) != 0 && bad++ < 3)
                    ADD_FAILURE() << "pixel " << x << "," << y << ": got " << int(got[0]) << "," << int(got[1]) << ","
                                  << int(got[2]) << " want " << int(want_rgb[0]) << "," << int(want_rgb[1]) << ","
                                  << int(want_rgb[2]);
                if (format == kARGB8888 || format == kABGR8888) {
                    EXPECT_EQ(m[3], 255);
                }
            }
        r.buf.sync(false, false);
        EXPECT_EQ(bad, 0);
    }
}

// A DMA-BUF render target takes copies (CopyDst where the memory allows it): a 1:1 opaque
// XRGB draw without blending is a texture copy (RenderStats::copied_draws), and on llvmpipe an
// opaque rect of a colour drawn in the frame before is a copy from the fill buffer
// (filled_rects). The target starts with random bytes and is loaded, not cleared; its pixels
// are read through the dma-buf's mmap and compared with a CPU reference of the same draws.
TEST(DmabufRender, UdmabufTargetTakesCopiesAndFills) {
    REQUIRE_DMABUF();
    constexpr uint32_t W = 64, H = 48, SW = 13, SH = 9;
    auto r = make_rgb(Alloc::udmabuf, kXRGB8888, W, H, 4, 31);
    const uint32_t stride = r.attrs.planes[0].stride;
    // The reference: the buffer's bytes as B G R, updated by each draw below.
    std::vector<uint8_t> want(size_t(stride) * H);
    r.buf.sync(true, false);
    std::memcpy(want.data(), r.buf.map, want.size());
    r.buf.sync(false, false);
    DmabufImportOptions o;
    o.usage = TextureUsage::sample | TextureUsage::render;
    auto t = import_dmabuf(gpu(), r.attrs, o);
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_TRUE((*t)->usage() & WGPUTextureUsage_CopyDst) << "a udmabuf render target takes copies";
    std::vector<uint8_t> src(size_t(SW) * SH * 4);
    std::mt19937 rng(77);
    for (auto& v : src) v = uint8_t(rng());  // X bytes random too: an X source stores only B G R
    auto st = Texture::from_pixels(gpu(), kXRGB8888, SW, SH, SW * 4, src.data());
    ASSERT_TRUE(st) << st.error().message;
    auto put = [&](int x0, int y0, int w, int h, auto&& bgr) {
        for (int y = y0; y < y0 + h; y++)
            for (int x = x0; x < x0 + w; x++) {
                uint8_t* p = &want[size_t(y) * stride + size_t(x) * 4];
                bgr(x - x0, y - y0, p);
            }
    };
    // 0.2, 0.6, 1.0: k/255 exactly, so every adapter stores 51, 153, 255.
    const Color colour{0.6f, 0.2f, 1.0f, 1.0f};
    const std::array<Box, 2> rects{Box{30, 2, 20, 10}, Box{30, 30, 25, 12}};
    const std::array<std::array<int, 2>, 2> at{{{5, 7}, {8, 33}}};
    auto renderer = Renderer::create(gpu());
    ASSERT_TRUE(renderer) << renderer.error().message;
    for (int frame = 0; frame < 2; frame++) {
        auto f = (*renderer)->begin(**t);
        ASSERT_TRUE(f) << f.error().message;
        TextureDraw d;
        d.texture = st->get();
        d.dst = {at[frame][0], at[frame][1], int(SW), int(SH)};
        d.filter = Filter::bilinear;
        d.blend = Blend::none;
        ASSERT_TRUE(f->draw_texture(d));
        ASSERT_TRUE(f->draw_rect({rects[frame], colour}));
        ASSERT_TRUE(f->submit());
        put(at[frame][0], at[frame][1], SW, SH, [&](int x, int y, uint8_t* p) {
            std::memcpy(p, &src[(size_t(y) * SW + x) * 4], 3);
        });
        put(rects[frame].x, rects[frame].y, rects[frame].width, rects[frame].height,
            [](int, int, uint8_t* p) { p[0] = 255, p[1] = 51, p[2] = 153; });
    }
    const RenderStats& stats = (*renderer)->stats();
    EXPECT_EQ(stats.copied_draws, 2u) << "both texture draws are copies into the DMA-BUF";
    const bool llvmpipe = gpu_is_llvmpipe();
    EXPECT_EQ(stats.filled_rects, llvmpipe ? 1u : 0u) << "the second frame's rect repeats a colour";
    EXPECT_EQ(stats.render_passes, llvmpipe ? 1u : 2u) << "a frame of copies and fills only needs no render pass";
    ASSERT_TRUE(gpu().wait_idle());
    r.buf.sync(true, false);
    int bad = 0;
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            const uint8_t* g = r.buf.map + size_t(y) * stride + x * 4;
            const uint8_t* w = &want[size_t(y) * stride + x * 4];
            if (std::memcmp(g, w, 3) != 0 && bad++ < 3)
                ADD_FAILURE() << "pixel " << x << "," << y << ": got B G R " << int(g[0]) << "," << int(g[1]) << ","
                              << int(g[2]) << " want " << int(w[0]) << "," << int(w[1]) << "," << int(w[2]);
        }
    r.buf.sync(false, false);
    EXPECT_EQ(bad, 0);
}

TEST(DmabufRender, YuvCannotBeARenderTarget) {
    REQUIRE_DMABUF();
    YuvImage im{16, 16, std::vector<int>(256, 1), std::vector<int>(64, 1), std::vector<int>(64, 1)};
    auto bufs = write_yuv(kYuvCases[0], im, true);
    DmabufImportOptions o;
    o.usage = TextureUsage::render;
    auto t = import_dmabuf(gpu(), bufs.attrs, o);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, Errc::unsupported);
}

// A plane offset that is not on a texel (offset 1 for XRGB8888) was imported and drawn, shifted
// by a byte. Refused before the driver, by import and copy alike; offset 4 still imports.
TEST(DmabufImport, OffsetNotOnATexelIsRefused) {
    REQUIRE_DMABUF();
    auto r = make_rgb(Alloc::udmabuf, kXRGB8888, 32, 8, 4, 5);
    r.attrs.planes[0].offset = 1;
    auto t = import_dmabuf(gpu(), r.attrs);
    ASSERT_FALSE(t) << "offset 1 must not be imported";
    EXPECT_EQ(t.error().code, Errc::invalid_argument);
    EXPECT_EQ(t.error().message, "dmabuf 32x8 XRGB8888 plane 0: offset 1 is not a multiple of 4 bytes (the plane's texel)");
    auto c = copy_dmabuf(gpu(), r.attrs);
    ASSERT_FALSE(c) << "nor copied";
    EXPECT_EQ(c.error().message, t.error().message);
    // NV12 plane 1 (2-byte CbCr texels) at an odd offset, in a buffer of its own.
    DmaBuf y = must_alloc(Alloc::udmabuf, 32 * 8), uv = must_alloc(Alloc::udmabuf, 4096);
    DmabufAttributes nv;
    nv.width = 32, nv.height = 8, nv.format = kNV12, nv.n_planes = 2;
    nv.planes[0] = {y.fd, 0, 32};
    nv.planes[1] = {uv.fd, 3, 32};
    auto n = import_dmabuf(gpu(), nv);
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().message, "dmabuf 32x8 NV12 plane 1: offset 3 is not a multiple of 2 bytes (the plane's texel)");
    EXPECT_FALSE(gpu().lost());
    // On a texel (one pixel in), the same buffer imports and reads back from there.
    r.attrs.planes[0].offset = 4;
    r.attrs.width = 31;  // the row still fits in the stride
    auto ok = import_dmabuf(gpu(), r.attrs);
    ASSERT_TRUE(ok) << ok.error().message;
    std::vector<uint8_t> got(31 * 4 * 8);
    ASSERT_TRUE((*ok)->shared_access->begin(false));
    auto rd = (*ok)->read_pixels(kXRGB8888, {0, 0, 31, 8}, 31 * 4, got.data());
    ASSERT_TRUE((*ok)->shared_access->end());
    ASSERT_TRUE(rd) << rd.error().message;
    r.buf.sync(true, false);
    for (uint32_t row = 0; row < 8; row++)
        ASSERT_EQ(0, std::memcmp(got.data() + row * 31 * 4, r.buf.map + size_t(row) * r.attrs.planes[0].stride + 4, 31 * 4))
            << "row " << row;
    r.buf.sync(false, false);
}

// Clients' GBM/Mesa export dma-bufs without DRM_RDWR (read-only files). Lavapipe maps imported
// dma-bufs read-write, and its failure would lose Dawn's whole device: the importer must refuse
// such a buffer first, with a clear error, and the device must stay usable.
TEST(DmabufImport, ReadOnlyDmabufIsRefusedAndTheDeviceSurvives) {
    REQUIRE_DMABUF();
    int card = open_vgem_card();
    ASSERT_GE(card, 0) << "the test bed should have vgem";
    drm_mode_create_dumb c{};
    c.width = 64, c.height = 16, c.bpp = 32;
    ASSERT_EQ(ioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &c), 0) << strerror(errno);
    drm_prime_handle p{};
    p.handle = c.handle;
    p.flags = DRM_CLOEXEC;  // no DRM_RDWR, as Mesa's GBM exports client buffers
    ASSERT_EQ(ioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p), 0) << strerror(errno);
    ASSERT_EQ(fcntl(p.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
    DmabufAttributes a;
    a.width = 64, a.height = 16, a.format = kARGB8888, a.n_planes = 1;
    a.planes[0] = {p.fd, 0, c.pitch};
    auto t = import_dmabuf(gpu(), a);
    if (gpu().identity().type == WGPUAdapterType_CPU) {
        ASSERT_FALSE(t) << "a read-only dma-buf must not reach lavapipe";
        EXPECT_EQ(t.error().code, Errc::unsupported);
        EXPECT_NE(t.error().message.find("read-only"), std::string::npos) << t.error().message;
    }
    EXPECT_FALSE(gpu().lost());
    // The device still imports and reads a good buffer.
    auto r = make_rgb(Alloc::udmabuf, kARGB8888, 32, 8, 4, 99);
    auto good = import_dmabuf(gpu(), r.attrs);
    ASSERT_TRUE(good) << good.error().message;
    expect_same_content(**good, r, 4);
    close(p.fd);
    drm_mode_destroy_dumb dd{c.handle};
    ioctl(card, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
    close(card);
}

// The copy path (copy_dmabuf) for what lavapipe cannot import: a read-only vgem export (as Mesa's
// GBM makes them), written through the card's dumb-buffer mapping (a second PRIME export would
// share the first one's read-only file).
TEST(DmabufCopy, ReadOnlyVgemExportIsCopiedAndRecopied) {
    REQUIRE_DMABUF();
    constexpr uint32_t w = 61, h = 17;  // odd sizes: stride != width * 4
    VgemReadOnly v;
    std::string why;
    ASSERT_TRUE(make_vgem_read_only(w, h, v, why)) << why;
    ASSERT_EQ(fcntl(v.fd.get(), F_GETFL) & O_ACCMODE, O_RDONLY);
    uint8_t* map = v.map;
    auto fill = [&](uint32_t seed) {  // vgem is cached shmem: the CPU mapping is coherent
        std::mt19937 rng(seed);
        for (size_t i = 0; i < v.size; i++) map[i] = uint8_t(rng());
    };
    auto expect_content = [&](Texture& t) {
        std::vector<uint8_t> got(size_t(w) * 4 * h);
        auto ok = t.read_pixels(kARGB8888, {0, 0, int32_t(w), int32_t(h)}, w * 4, got.data());
        ASSERT_TRUE(ok) << ok.error().message;
        for (uint32_t y = 0; y < h; y++)
            ASSERT_EQ(0, std::memcmp(got.data() + size_t(y) * w * 4, map + size_t(y) * v.pitch, size_t(w) * 4))
                << "row " << y;
    };
    DmabufAttributes a;
    a.width = w, a.height = h, a.format = kARGB8888, a.n_planes = 1;
    a.planes[0] = {v.fd.get(), 0, v.pitch};
    EXPECT_TRUE(dmabuf_read_only(a));
    fill(7);
    const uint64_t copies = dmabuf_copy_count();
    auto t = copy_dmabuf(gpu(), a);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_FALSE((*t)->shared_access) << "a copy is a memory texture";
    expect_content(**t);
    ASSERT_TRUE(gpu().wait_idle());
    for (int i = 0; i < 5; i++) gpu().process_events();  // earlier tests' fences/fds settle first
    const int before = count_fds();
    for (uint32_t i = 0; i < 5; i++) {
        fill(100 + i);
        auto r = recopy_dmabuf(**t, a);
        ASSERT_TRUE(r) << r.error().message;
        expect_content(**t);
    }
    EXPECT_EQ(dmabuf_copy_count() - copies, 6u);
    {
        auto t2 = copy_dmabuf(gpu(), a);
        ASSERT_TRUE(t2) << t2.error().message;
        expect_content(**t2);
    }
    ASSERT_TRUE(gpu().wait_idle());
    for (int i = 0; i < 5; i++) gpu().process_events();
    EXPECT_LE(count_fds(), before) << "fds leaked by copy/recopy";  // none kept: the count may only drop
    EXPECT_GE(fcntl(v.fd.get(), F_GETFD), 0) << "the caller's fd must stay open";
    EXPECT_FALSE(gpu().lost());

    // The importer's choice (dmabuf_texture): lavapipe refuses the read-only import, so a copy,
    // with the import's reason; refresh_dmabuf_texture copies each commit's content again.
    {
        auto dt = dmabuf_texture(gpu(), a);
        ASSERT_TRUE(dt) << dt.error().message;
        EXPECT_EQ(dt->path, DmabufPath::copy);
        EXPECT_NE(dt->copy_reason.find("read"), std::string::npos) << dt->copy_reason;
        expect_content(*dt->texture);
        fill(200);
        auto r = refresh_dmabuf_texture(*dt, a);
        ASSERT_TRUE(r) << r.error().message;
        expect_content(*dt->texture);
        EXPECT_TRUE(validate_dmabuf_texture(gpu(), a));
        DmabufAttributes yuv_ro = a;  // neither importable (read-only) nor copyable (YUV)
        yuv_ro.format = kNV12;
        yuv_ro.width = w - 1;  // even
        yuv_ro.n_planes = 2;
        yuv_ro.height = 8;                           // Y: 8 rows, CbCr: 4 rows after them
        yuv_ro.planes[1] = {v.fd.get(), v.pitch * 8, v.pitch};
        auto both = dmabuf_texture(gpu(), yuv_ro);
        ASSERT_FALSE(both);
        EXPECT_NE(both.error().message.find("nor can it be copied"), std::string::npos) << both.error().message;
    }

    // What the copy path refuses: another size (recopy), YUV, implicit modifiers.
    DmabufAttributes other = a;
    other.width = w - 1;
    auto bad = recopy_dmabuf(**t, other);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::invalid_argument) << bad.error().message;
    other = a;
    other.modifier = kDrmFormatModInvalid;
    auto implicit = copy_dmabuf(gpu(), other);
    ASSERT_FALSE(implicit);
    EXPECT_EQ(implicit.error().code, Errc::unsupported) << implicit.error().message;
    other = a;
    other.format = kNV12;
    auto yuv = copy_dmabuf(gpu(), other);
    ASSERT_FALSE(yuv);
    EXPECT_EQ(yuv.error().code, Errc::unsupported) << yuv.error().message;

}

// The copy path's bounds (issue 14: a 1 GiB read-only buffer froze the compositor for seconds on
// each commit): a buffer over DmabufImportOptions::max_copy_bytes is refused at validation, with
// the limit named, before anything is mapped; a re-commit with damage reads and uploads only the
// damaged boxes (clamped to the buffer), and the rest of the texture keeps the previous content.
TEST(DmabufCopy, CopyIsBoundedAndRecopiesOnlyTheDamage) {
    REQUIRE_DMABUF();
    constexpr uint32_t w = 83, h = 29;
    VgemReadOnly v;
    std::string why;
    ASSERT_TRUE(make_vgem_read_only(w, h, v, why)) << why;
    DmabufAttributes a;
    a.width = w, a.height = h, a.format = kARGB8888, a.n_planes = 1;
    a.planes[0] = {v.fd.get(), 0, v.pitch};
    const uint64_t plane_bytes = uint64_t(v.pitch) * h;

    DmabufImportOptions small;
    small.max_copy_bytes = plane_bytes - 1;
    for (const auto& r : {validate_copy_dmabuf(gpu(), a, small), validate_dmabuf_texture(gpu(), a, small)}) {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, Errc::unsupported);
        EXPECT_NE(r.error().message.find("max_copy_bytes"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("dmabuf 83x29"), std::string::npos) << "names the buffer: " << r.error().message;
    }
    const uint64_t bytes0 = dmabuf_copy_bytes();
    auto refused = dmabuf_texture(gpu(), a, small);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("max_copy_bytes"), std::string::npos) << refused.error().message;
    EXPECT_EQ(dmabuf_copy_bytes(), bytes0) << "nothing copied from a refused buffer";
    DmabufImportOptions exact;
    exact.max_copy_bytes = plane_bytes;
    EXPECT_TRUE(validate_dmabuf_texture(gpu(), a, exact));

    std::mt19937 rng(4242);
    auto fill = [&] { for (size_t i = 0; i < v.size; i++) v.map[i] = uint8_t(rng()); };
    fill();
    std::vector<uint8_t> before(v.map, v.map + v.size);  // what the first copy saw
    auto dt = dmabuf_texture(gpu(), a, exact);
    ASSERT_TRUE(dt) << dt.error().message;
    ASSERT_EQ(dt->path, DmabufPath::copy);
    EXPECT_EQ(dmabuf_copy_bytes() - bytes0, uint64_t(w) * 4 * h);

    fill();  // the client redraws everything but declares two boxes, one partly outside
    const Box damage[] = {{5, 3, 16, 8}, {70, 20, 40, 40}};
    const uint64_t bytes1 = dmabuf_copy_bytes();
    auto r = refresh_dmabuf_texture(*dt, a, damage);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(dmabuf_copy_bytes() - bytes1, uint64_t(16 * 8 + 13 * 9) * 4) << "only the damage, clamped";
    std::vector<uint8_t> got(size_t(w) * 4 * h);
    auto ok = dt->texture->read_pixels(kARGB8888, {0, 0, int32_t(w), int32_t(h)}, w * 4, got.data());
    ASSERT_TRUE(ok) << ok.error().message;
    auto in = [&](int x, int y) {
        for (const Box& b : damage)
            if (x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height) return true;
        return false;
    };
    int wrong = 0;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            const uint8_t* want = (in(x, y) ? v.map : before.data()) + size_t(y) * v.pitch + x * 4;
            wrong += std::memcmp(got.data() + (size_t(y) * w + x) * 4, want, 4) != 0;
        }
    EXPECT_EQ(wrong, 0) << "pixels that are not the new content inside the damage and the old outside";
    EXPECT_FALSE(gpu().lost());
}

// The host's signals stay blocked in every thread that a DMA-BUF import, access, draw and fence
// export made Dawn or the driver start (src/common/signals_blocked.hpp).
TEST(DmabufImport, LibraryThreadsBlockHostSignals) {
    REQUIRE_DMABUF();
    (void)dmabuf_texture_formats(gpu());  // the format probe: imports, renders, reads back
    auto r = make_rgb(Alloc::udmabuf, kARGB8888, 24, 16, 4, 9);
    auto t = import_dmabuf(gpu(), r.attrs);
    ASSERT_TRUE(t) << t.error().message;
    expect_same_content(**t, r, 4);
    auto target = Texture::create(gpu(), kARGB8888, 24, 16, TextureUsage::render | TextureUsage::sample);
    ASSERT_TRUE(target) << target.error().message;
    auto frame = renderer().begin(**target);
    ASSERT_TRUE(frame) << frame.error().message;
    TextureDraw d;
    d.texture = t->get(), d.dst = {0, 0, 24, 16};
    ASSERT_TRUE(frame->draw_texture(d));
    ASSERT_TRUE(frame->submit());
    (void)(*t)->shared_access->export_end_sync_file();  // a sync_file (closed at once) or nothing
    ASSERT_TRUE(gpu().wait_idle());
    EXPECT_GE(expect_library_threads_block_host_signals("after DMA-BUF import and draw"), 1)
        << "no thread to check: the driver started none (the check would be vacuous)";
}
