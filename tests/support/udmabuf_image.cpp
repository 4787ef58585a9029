#include "support/udmabuf_image.hpp"

#include "bridge/readback.hpp"
#include "wlgpu/dmabuf.hpp"

namespace wlgpu::test {

void UdmabufImage::fill(uint32_t rgba) {
    for (uint32_t y = 0; y < height; y++) {
        auto* row = reinterpret_cast<uint32_t*>(mem.data() + size_t(y) * stride);
        for (uint32_t x = 0; x < width; x++) row[x] = rgba;
    }
}

Result<std::unique_ptr<UdmabufImage>> make_udmabuf_image(Bridge& bridge, uint32_t w, uint32_t h) {
    auto im = std::make_unique<UdmabufImage>();
    im->width = w, im->height = h, im->stride = w * 4;
    auto mem = alloc_dmabuf(DmabufSource::udmabuf, size_t(im->stride) * h);
    if (!mem) return std::unexpected(mem.error());
    im->mem = std::move(*mem);
    DmabufAttributes a;
    a.width = w, a.height = h;
    a.format = fourcc('A', 'B', '2', '4');  // DRM_FORMAT_ABGR8888: bytes R, G, B, A
    a.n_planes = 1;
    a.planes[0] = {im->mem.fd(), 0, im->stride};
    auto t = import_dmabuf(bridge, a);
    if (!t) return std::unexpected(t.error());
    im->texture = std::move(*t);
    return im;
}

void read_into(const Texture& t, WGPUBuffer buf, uint64_t offset, uint32_t w, uint32_t h) {
    Bridge& b = t.bridge();
    submit_texture_copy(b.device(), b.queue(), t.handle(), Box{0, 0, int32_t(w), int32_t(h)}, buf, offset, kCopyRowAlign);
}

}  // namespace wlgpu::test
