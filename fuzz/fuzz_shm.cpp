// libFuzzer target: wl_shm / memory textures (wlgpu/texture.hpp): format, size, stride and damage
// boxes (out of range, negative, overflowing int32) through Texture::create, from_pixels and update.
//
// The client memory is the tail of a 16 MiB mapping followed by a PROT_NONE guard page: the image
// passed has exactly stride x height bytes (a wl_shm buffer's size), so a read past it faults.
// Calls whose image would not fit are left out; so are creates of more than 1 Mpixel within the
// device limit (lavapipe would allocate them: slow, and Dawn frees them only at the next tick).
//
// Input layout (little-endian, zeros past the end; fuzz/make_corpus.py writes seeds):
//   u8 format (bit 7: a raw u32 fourcc follows, else an index into shm_formats())
//   u16 width, u16 height, i32 stride delta (stride = width x bytes per pixel + delta, wrapping)
//   u8 flags (bit 0: usage render, bit 1: Texture::create instead of from_pixels)
//   i32 update stride delta, u8 damage count (mod 9), count x 4 x i32 damage box
#include <sys/mman.h>

#include "fuzz_common.hpp"
#include "wlgpu/format.hpp"
#include "wlgpu/texture.hpp"

namespace {

using namespace wlgpu;
using wlgpu::fuzz::Input;

constexpr size_t kImageMax = 16u << 20;
constexpr uint64_t kCreateMaxPixels = 1u << 20;

// The first byte after the client memory is a guard page.
const uint8_t* image_end() {
    static uint8_t* end = [] {
        const size_t page = size_t(sysconf(_SC_PAGESIZE));
        void* m = mmap(nullptr, kImageMax + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) fuzz::finding("mmap of the client memory failed");
        auto* p = static_cast<uint8_t*>(m);
        for (size_t i = kImageMax - (1u << 20); i < kImageMax; i++) p[i] = uint8_t(i * 13 + (i >> 9));
        mprotect(p + kImageMax, page, PROT_NONE);
        return p + kImageMax;
    }();
    return end;
}

// A client image of stride x height bytes, or null when it does not fit.
const uint8_t* image(uint32_t stride, uint32_t height) {
    uint64_t need = uint64_t(stride) * height;
    return need <= kImageMax ? image_end() - need : nullptr;
}

uint64_t textures = 0, updates = 0;

void report() {
    auto& h = fuzz::harness();
    h.check_fds("at exit");
    std::fprintf(stderr, "wlgpu-fuzz shm: %llu inputs, %llu textures made, %llu updates accepted; fds %d at the first check, %d at exit\n",
                 (unsigned long long)h.inputs, (unsigned long long)textures, (unsigned long long)updates, h.fd_baseline, h.fd_last);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto& h = fuzz::start_input([] { image_end(); }, report);
    Bridge& b = *h.bridge;
    Input in(data, size);

    uint8_t f = in.u8();
    auto table = shm_formats();
    uint32_t format = (f & 0x80) ? in.u32() : table[f % table.size()].drm_fourcc;
    const FormatInfo* info = find_shm_format(format);
    uint32_t bpp = info ? info->bytes_per_pixel : 4;
    uint32_t w = in.u16(), hgt = in.u16();
    uint32_t stride = uint32_t(w * bpp + uint32_t(in.i32()));
    uint8_t flags = in.u8();
    TextureUsage usage = (flags & 1) ? TextureUsage::sample | TextureUsage::render : TextureUsage::sample;
    uint32_t update_stride = uint32_t(w * bpp + uint32_t(in.i32()));
    std::vector<Box> damage(in.u8() % 9);
    for (Box& d : damage) d = {in.i32(), in.i32(), in.i32(), in.i32()};

    const bool over_limit = w > b.limits().maxTextureDimension2D || hgt > b.limits().maxTextureDimension2D;
    Result<std::shared_ptr<Texture>> t = fail(Errc::invalid_argument, "not made");
    if (flags & 2) {
        if (over_limit || uint64_t(w) * hgt <= kCreateMaxPixels) t = Texture::create(b, format, w, hgt, usage);
    } else if (const uint8_t* img = image(stride, hgt)) {
        t = Texture::from_pixels(b, format, w, hgt, stride, img, usage);
    }
    if (t) {
        textures++;
        if (const uint8_t* img = image(update_stride, hgt)) {
            if ((*t)->update(img, update_stride, damage)) updates++;
        }
    }
    h.after_input();
    return 0;
}
