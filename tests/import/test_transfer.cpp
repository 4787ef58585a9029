// What crosses between CPU memory and the GPU, read from the bridge's counters: uploads of
// damage only (none for an unchanged re-commit), read-back into a memory render target straight
// from the GPU (HostMappedPointer) or, where the memory cannot be imported, through the one
// persistent staging buffer; the pixels compared with the source memory each time.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <format>
#include <random>

#include "bridge/readback.hpp"
#include "support/gpu.hpp"
#include "wlgpu/format.hpp"
#include "wlgpu/texture.hpp"

using namespace wlgpu;

namespace {

constexpr uint32_t kARGB8888 = fourcc('A', 'R', '2', '4'), kABGR8888 = fourcc('A', 'B', '2', '4');

std::vector<uint8_t> random_bytes(uint32_t seed, size_t n) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> byte(0, 255);
    std::vector<uint8_t> v(n);
    for (auto& b : v) b = uint8_t(byte(rng));
    return v;
}

// Page-aligned memory, as an mmapped wl_shm buffer is; unmapped at the end of the test.
struct Mapped {
    explicit Mapped(size_t n) : size(n) {
        void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        data = p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
    }
    ~Mapped() {
        if (data) munmap(data, size);
    }
    uint8_t* data;
    size_t size;
};

TransferStats delta(const TransferStats& a, const TransferStats& b) {
    TransferStats d;
    d.upload_copies = b.upload_copies - a.upload_copies;
    d.upload_pixels = b.upload_pixels - a.upload_pixels;
    d.upload_host_mapped = b.upload_host_mapped - a.upload_host_mapped;
    d.upload_staged = b.upload_staged - a.upload_staged;
    d.readback_copies = b.readback_copies - a.readback_copies;
    d.readback_pixels = b.readback_pixels - a.readback_pixels;
    d.readback_host_mapped = b.readback_host_mapped - a.readback_host_mapped;
    d.readback_staged = b.readback_staged - a.readback_staged;
    d.staging_buffers_created = b.staging_buffers_created - a.staging_buffers_created;
    d.host_imports_created = b.host_imports_created - a.host_imports_created;
    return d;
}

bool inside(const std::vector<Box>& boxes, int x, int y) {
    for (const Box& d : boxes)
        if (x >= d.x && x < d.x + d.width && y >= d.y && y < d.y + d.height) return true;
    return false;
}

// Pixels inside the boxes equal the texture's source (same format, 4 bytes a pixel); the rest of
// the memory (padding included) still holds `fill`. Returns the number of wrong bytes.
size_t check_memory(const uint8_t* mem, uint32_t stride, int w, int h, const std::vector<uint8_t>& src,
                    uint32_t src_stride, const std::vector<Box>& boxes, uint8_t fill) {
    size_t bad = 0;
    for (int y = 0; y < h; y++)
        for (uint32_t i = 0; i < stride; i++) {
            const int x = int(i / 4);
            const uint8_t got = mem[size_t(y) * stride + i];
            const bool in = x < w && inside(boxes, x, y);
            bad += got != (in ? src[size_t(y) * src_stride + i] : fill);
        }
    return bad;
}

// A render target filled with random pixels; its source memory is the CPU reference.
struct Target {
    Target(int w, int h, uint32_t seed) : w(w), h(h), src(random_bytes(seed, size_t(w) * h * 4)) {
        auto t = Texture::from_pixels(test::gpu(), kARGB8888, w, h, w * 4, src.data(),
                                      TextureUsage::render | TextureUsage::sample);
        if (t) tex = *t;
    }
    int w, h;
    std::vector<uint8_t> src;
    std::shared_ptr<Texture> tex;
};

bool device_has_host_mapped() {
    const Bridge& b = test::gpu();
    // lavapipe has it (VK_EXT_external_memory_host): there its absence is a failure, not a skip.
    if (b.identity().type == WGPUAdapterType_CPU) {
        EXPECT_TRUE(b.caps().host_mapped_pointer) << b.summary();
    }
    return b.caps().host_mapped_pointer;
}

}  // namespace

TEST(Transfers, UnchangedRecommitUploadsNothingAndDamageUploadsOnlyItsPixels) {
    Bridge& g = test::gpu();
    const int w = 1920, h = 1080, stride = w * 4;
    auto a = random_bytes(21, size_t(stride) * h), b = random_bytes(22, size_t(stride) * h);
    auto t = Texture::from_pixels(g, kARGB8888, w, h, stride, a.data());
    ASSERT_TRUE(t);
    TransferStats s0 = g.transfers();
    ASSERT_TRUE((*t)->update(a.data(), stride, {}));  // a re-commit with no damage
    TransferStats d = delta(s0, g.transfers());
    EXPECT_EQ(d.upload_copies, 0u);
    EXPECT_EQ(d.upload_pixels, 0u);

    const Box damage{600, 400, 64, 64};
    s0 = g.transfers();
    ASSERT_TRUE((*t)->update(b.data(), stride, std::span<const Box>(&damage, 1)));
    d = delta(s0, g.transfers());
    EXPECT_EQ(d.upload_copies, 1u);
    EXPECT_EQ(d.upload_pixels, 64u * 64u);

    // The texture holds b in the damage and a around it (a 3-pixel frame is read to show it).
    const Box around{damage.x - 3, damage.y - 3, damage.width + 6, damage.height + 6};
    std::vector<uint8_t> out(size_t(around.width) * around.height * 4);
    ASSERT_TRUE((*t)->read_pixels(kARGB8888, around, around.width * 4, out.data()));
    size_t bad = 0;
    for (int y = 0; y < around.height; y++)
        for (int x = 0; x < around.width; x++) {
            const int X = around.x + x, Y = around.y + y;
            const bool in = X >= damage.x && X < damage.x + 64 && Y >= damage.y && Y < damage.y + 64;
            const auto& want = in ? b : a;
            bad += std::memcmp(out.data() + (size_t(y) * around.width + x) * 4,
                               want.data() + size_t(Y) * stride + size_t(X) * 4, 4) != 0;
        }
    EXPECT_EQ(bad, 0u);
}

TEST(Transfers, ReadBackIntoAlignedMemoryIsWrittenByTheGpuDirectly) {
    if (!device_has_host_mapped()) GTEST_SKIP() << "the device lacks HostMappedPointer";
    Bridge& g = test::gpu();
    const uint32_t stride = 1280;  // a multiple of 256, wider than the 1200 bytes of a row
    // Pixel (0,0) on a page start, and 260 bytes into a page (a wl_shm buffer at an offset in
    // its pool): the import starts on the page, the copies at the pixel.
    for (size_t offset : {size_t(0), size_t(260)}) {
        SCOPED_TRACE(offset);
        Target t(300, 200, 31 + uint32_t(offset));
        ASSERT_TRUE(t.tex);
        Mapped mem(offset + size_t(stride) * t.h);
        ASSERT_TRUE(mem.data);
        std::memset(mem.data, 0x5a, mem.size);
        uint8_t* px = mem.data + offset;
        const std::vector<Box> boxes = {{10, 10, 64, 64}, {100, 50, 30, 70}, {290, 190, 20, 20} /* clamped */};
        TransferStats s0 = g.transfers();
        ASSERT_TRUE(t.tex->read_back_to_memory(boxes, px, stride, kARGB8888, true));
        TransferStats d = delta(s0, g.transfers());
        EXPECT_EQ(d.readback_host_mapped, 3u);
        EXPECT_EQ(d.readback_staged, 0u);
        EXPECT_EQ(d.host_imports_created, 1u);
        EXPECT_EQ(d.readback_pixels, 64u * 64 + 30 * 70 + 10 * 10);
        EXPECT_EQ(check_memory(px, stride, t.w, t.h, t.src, t.w * 4, boxes, 0x5a), 0u);
        for (size_t i = 0; i < offset; i++) ASSERT_EQ(mem.data[i], 0x5a) << "before pixel (0,0)";

        // The next frame reuses the import: no buffer of any kind is created.
        const std::vector<Box> more = {{0, 0, 300, 1}, {0, 199, 300, 1}};
        s0 = g.transfers();
        ASSERT_TRUE(t.tex->read_back_to_memory(more, px, stride, kARGB8888, true));
        d = delta(s0, g.transfers());
        EXPECT_EQ(d.readback_host_mapped, 2u);
        EXPECT_EQ(d.host_imports_created, 0u);
        EXPECT_EQ(d.staging_buffers_created, 0u);
        std::vector<Box> all = boxes;
        all.insert(all.end(), more.begin(), more.end());
        EXPECT_EQ(check_memory(px, stride, t.w, t.h, t.src, t.w * 4, all, 0x5a), 0u);
    }
    EXPECT_TRUE(test::gpu_state().uncaptured.empty()) << test::gpu_state().uncaptured.front();
}

TEST(Transfers, MemoryTheGpuCannotAddressTakesTheStagingBufferAndStillMatches) {
    Bridge& g = test::gpu();
    Target t(300, 200, 41);
    ASSERT_TRUE(t.tex);
    const std::vector<Box> boxes = {{5, 7, 64, 64}, {200, 120, 50, 33}};
    struct Case {
        const char* what;
        uint32_t stride;
        size_t offset;  // of pixel (0,0) from the page start
        bool may_import;
    } cases[] = {
        {"stride not a multiple of 256", 300 * 4 + 4, 0, true},
        {"pointer 2 bytes off a texel", 1280, 2, true},
        {"the caller forbids the import", 1280, 0, false},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        Mapped mem(c.offset + size_t(c.stride) * t.h);
        ASSERT_TRUE(mem.data);
        std::memset(mem.data, 0xc3, mem.size);
        TransferStats s0 = g.transfers();
        for (int frame = 0; frame < 3; frame++)
            ASSERT_TRUE(t.tex->read_back_to_memory(boxes, mem.data + c.offset, c.stride, kARGB8888, c.may_import));
        TransferStats d = delta(s0, g.transfers());
        EXPECT_EQ(d.readback_host_mapped, 0u);
        EXPECT_EQ(d.readback_staged, 6u);
        EXPECT_EQ(d.host_imports_created, 0u);
        EXPECT_LE(d.staging_buffers_created, 1u) << "the staging buffer is persistent, not one per frame";
        EXPECT_EQ(check_memory(mem.data + c.offset, c.stride, t.w, t.h, t.src, t.w * 4, boxes, 0xc3), 0u);
    }
}

TEST(Transfers, ReadBackIntoAnotherFormatConvertsOnTheCpu) {
    Bridge& g = test::gpu();
    Target t(64, 32, 51);
    ASSERT_TRUE(t.tex);
    const uint32_t stride = 256;
    Mapped mem(size_t(stride) * t.h);
    ASSERT_TRUE(mem.data);
    const Box box{3, 4, 40, 20};
    TransferStats s0 = g.transfers();
    ASSERT_TRUE(t.tex->read_back_to_memory(std::span<const Box>(&box, 1), mem.data, stride, kABGR8888, true));
    EXPECT_EQ(delta(s0, g.transfers()).readback_staged, 1u);
    size_t bad = 0;
    for (int y = box.y; y < box.y + box.height; y++)
        for (int x = box.x; x < box.x + box.width; x++) {
            const uint8_t* s = t.src.data() + (size_t(y) * t.w + x) * 4;  // ARGB8888: B G R A
            const uint8_t* m = mem.data + size_t(y) * stride + size_t(x) * 4;  // ABGR8888: R G B A
            bad += m[0] != s[2] || m[1] != s[1] || m[2] != s[0] || m[3] != s[3];
        }
    EXPECT_EQ(bad, 0u);
}

// Client memory imported for uploads (HostUse::upload): the GPU copies the damage out of it, the
// CPU copies nothing; a stride that is a multiple of 256 takes one copy per box, others (most
// clients': weston-simple-shm's rows are 1000 bytes) one per row, and there boxes narrower than
// 256 texels go through writeTexture (cheaper). Pixel (0,0) on a page start and 260 bytes into
// one (a buffer at an offset in its pool).
TEST(Transfers, ImportedClientMemoryIsUploadedByTheGpuOnlyInItsDamage) {
    if (!device_has_host_mapped()) GTEST_SKIP() << "the device lacks HostMappedPointer";
    Bridge& g = test::gpu();
    const int w = 1920, h = 1080;
    for (uint32_t stride : {uint32_t(w * 4), uint32_t(w * 4 + 12)})
        for (size_t offset : {size_t(0), size_t(260)}) {
            SCOPED_TRACE(std::format("stride {} offset {}", stride, offset));
            Mapped mem(offset + size_t(stride) * h);
            ASSERT_TRUE(mem.data);
            uint8_t* px = mem.data + offset;
            const auto a = random_bytes(61 + stride + uint32_t(offset), size_t(stride) * h);
            std::memcpy(px, a.data(), a.size());
            auto t = Texture::create(g, kARGB8888, w, h);
            ASSERT_TRUE(t);
            ASSERT_TRUE(HostImport::usable(g, px, stride, w, h, 4, HostUse::upload));
            TransferStats s0 = g.transfers();
            auto imp = HostImport::create(g, px, stride, w, h, 4, HostUse::upload);
            ASSERT_TRUE(imp) << imp.error().message;
            const Box all{0, 0, w, h};
            auto done = (*t)->update_from_import(*imp, std::span<const Box>(&all, 1));
            ASSERT_TRUE(done);
            ASSERT_NE(done->id, 0u);
            ASSERT_TRUE(g.wait(*done));
            TransferStats d = delta(s0, g.transfers());
            EXPECT_EQ(d.host_imports_created, 1u);
            EXPECT_EQ(d.upload_host_mapped, 1u);
            EXPECT_EQ(d.upload_staged, 0u) << "no CPU copy";
            EXPECT_EQ(d.upload_pixels, uint64_t(w) * h);
            std::vector<uint8_t> out(size_t(w) * h * 4);
            ASSERT_TRUE((*t)->read_pixels(kARGB8888, all, w * 4, out.data()));
            int bad_rows = 0;
            for (int y = 0; y < h; y++)
                bad_rows += std::memcmp(out.data() + size_t(y) * w * 4, a.data() + size_t(y) * stride, size_t(w) * 4) != 0;
            EXPECT_EQ(bad_rows, 0);

            // Nothing damaged: nothing recorded. A 64x64 damage: those pixels, nothing else.
            s0 = g.transfers();
            auto none = (*t)->update_from_import(*imp, {});
            ASSERT_TRUE(none);
            EXPECT_EQ(none->id, 0u);
            EXPECT_EQ(delta(s0, g.transfers()).upload_copies, 0u);
            const auto b = random_bytes(71 + stride + uint32_t(offset), size_t(stride) * h);
            std::memcpy(px, b.data(), b.size());
            // A 64x64 box and a 300x2 one: with a copy per row (stride not a multiple of 256) the
            // narrow box is cheaper through writeTexture (HostImport::gpu_copy_cheaper).
            const bool by_row = stride % 256 != 0;
            const std::vector<Box> damage = {{600, 400, 64, 64}, {100, 800, 300, 2}};
            s0 = g.transfers();
            done = (*t)->update_from_import(*imp, damage);
            ASSERT_TRUE(done);
            ASSERT_NE(done->id, 0u);
            ASSERT_TRUE(g.wait(*done));
            d = delta(s0, g.transfers());
            EXPECT_EQ(d.upload_copies, 2u);
            EXPECT_EQ(d.upload_host_mapped, by_row ? 1u : 2u);
            EXPECT_EQ(d.upload_staged, by_row ? 1u : 0u);
            EXPECT_EQ(d.upload_pixels, 64u * 64u + 300 * 2);
            EXPECT_EQ(d.host_imports_created, 0u);
            ASSERT_TRUE((*t)->read_pixels(kARGB8888, all, w * 4, out.data()));
            size_t bad = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    bad += std::memcmp(out.data() + (size_t(y) * w + x) * 4,
                                       (inside(damage, x, y) ? b : a).data() + size_t(y) * stride + size_t(x) * 4,
                                       4) != 0;
            EXPECT_EQ(bad, 0u);
        }
    EXPECT_TRUE(test::gpu_state().uncaptured.empty()) << test::gpu_state().uncaptured.front();
}

// A RowCopy (compositor memory, filled off the event loop) is uploaded by the GPU out of an import
// of it when it holds every row, by writeTexture when it holds some; a box outside its rows is an
// error, nothing uploaded. Pixels compared with the bytes written into the copy.
TEST(Transfers, RowCopyIsUploadedFromTheRowsItHolds) {
    const bool gpu = device_has_host_mapped();
    Bridge& g = test::gpu();
    const int w = 640, h = 480;
    const uint32_t stride = w * 4 + 64;
    auto t = Texture::create(g, kARGB8888, w, h);
    ASSERT_TRUE(t);
    const Box all{0, 0, w, h};
    std::vector<uint8_t> want(size_t(stride) * h);
    const auto fill = [&](RowCopy& c, uint32_t seed) {
        const auto bytes = random_bytes(seed, size_t(c.bytes()));
        std::memcpy(c.row(c.first()), bytes.data(), bytes.size());
        std::memcpy(want.data() + size_t(c.first()) * stride, bytes.data(), bytes.size());
    };
    const auto wrong_rows = [&] {
        std::vector<uint8_t> out(size_t(w) * h * 4);
        EXPECT_TRUE((*t)->read_pixels(kARGB8888, all, w * 4, out.data()));
        int bad = 0;
        for (int y = 0; y < h; y++)
            bad += std::memcmp(out.data() + size_t(y) * w * 4, want.data() + size_t(y) * stride, size_t(w) * 4) != 0;
        return bad;
    };

    auto whole = RowCopy::allocate(stride, h, 0, h);
    ASSERT_TRUE(whole) << whole.error().message;
    fill(*whole, 81);
    TransferStats s0 = g.transfers();
    ASSERT_TRUE((*t)->update_from_copy(*whole, std::span<const Box>(&all, 1)));
    TransferStats d = delta(s0, g.transfers());
    EXPECT_EQ(d.upload_pixels, uint64_t(w) * h);
    EXPECT_EQ(d.upload_host_mapped, gpu ? 1u : 0u);
    EXPECT_EQ(d.upload_staged, gpu ? 0u : 1u) << "CPU copies";
    EXPECT_EQ(wrong_rows(), 0);

    // Rows [100, 300) only: a box inside them is uploaded (writeTexture), one reaching row 300 is
    // refused and changes nothing.
    auto part = RowCopy::allocate(stride, h, 100, 300);
    ASSERT_TRUE(part);
    fill(*part, 82);
    const Box in{20, 100, 500, 200}, out_of{0, 250, w, 51};
    EXPECT_TRUE(part->covers(std::span<const Box>(&in, 1)));
    EXPECT_FALSE(part->covers(std::span<const Box>(&out_of, 1)));
    s0 = g.transfers();
    auto refused = (*t)->update_from_copy(*part, std::span<const Box>(&out_of, 1));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::invalid_argument);
    EXPECT_EQ(delta(s0, g.transfers()).upload_copies, 0u);
    ASSERT_TRUE((*t)->update_from_copy(*part, std::span<const Box>(&in, 1)));
    d = delta(s0, g.transfers());
    EXPECT_EQ(d.upload_pixels, 500u * 200u);
    EXPECT_EQ(d.upload_staged, 1u);
    // The texture: the part's rows inside the box, the whole copy around it.
    auto first = random_bytes(81, size_t(stride) * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (!(y >= in.y && y < in.y + in.height && x >= in.x && x < in.x + in.width))
                std::memcpy(want.data() + size_t(y) * stride + size_t(x) * 4, first.data() + size_t(y) * stride + size_t(x) * 4, 4);
    EXPECT_EQ(wrong_rows(), 0);
    EXPECT_FALSE(RowCopy::allocate(stride, h, 300, 300)) << "no rows";
}
