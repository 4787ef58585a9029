// Which DMA-BUF formats and modifiers import_dmabuf really handles on a device.
//
// 1. Modifiers: DawnDrmFormatCapabilities (Vulkan's VkDrmFormatModifierPropertiesEXT through
//    Dawn) of each format's texture format; YUV formats are LINEAR only (per-plane import).
// 2. Probe: each format is imported once from a real 16x16 LINEAR dma-buf (udmabuf, else the
//    system dma-heap) filled with a pattern, and each plane is copied back and compared; render
//    formats also get a cleared render pass whose colour is read back through the buffer's own
//    memory. Formats that fail are left out. Other modifiers than LINEAR cannot be produced here
//    (no tiled allocator), so they are listed when Dawn reports them and the LINEAR probe passed.
// 3. Cached per device (the cache holds a device reference, so the key stays unique).
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

#include "bridge/readback.hpp"
#include "common/dmabuf_alloc.hpp"
#include "import/dmabuf_internal.hpp"
#include "common/signals_blocked.hpp"
#include "wlgpu/bridge.hpp"

namespace wlgpu {

namespace {

using dmabuf::FormatSpec;

struct Probed {
    std::vector<DmabufFormat> texture, render;
};

// Copies one texture (a plane) back: row r of the result is the texture's row r.
Result<std::vector<uint8_t>> read_texture(Bridge& b, WGPUTexture t, uint32_t w, uint32_t h, uint32_t bpp) {
    if (!(wgpuTextureGetUsage(t) & WGPUTextureUsage_CopySrc))
        return fail(Errc::invalid_argument, "wlgpu format probe: the texture was not created with CopySrc usage");
    auto rb = read_back(b, t, bpp, Box{0, 0, int32_t(w), int32_t(h)}, "wlgpu format probe");
    if (!rb) return std::unexpected(rb.error());
    std::vector<uint8_t> out(size_t(w) * bpp * h);
    for (uint32_t y = 0; y < h; y++) std::memcpy(out.data() + size_t(y) * w * bpp, rb->row(y), size_t(w) * bpp);
    return out;
}

// Imports a 16x16 LINEAR buffer of `spec` and checks every plane's content (and, for render,
// that a cleared render pass lands in the buffer's memory). Empty string = works.
std::string probe(Bridge& b, const FormatSpec& spec, bool render) {
    constexpr uint32_t W = 16, H = 16;
    DmabufAttributes a;
    a.width = W, a.height = H, a.format = spec.fourcc, a.modifier = kDrmFormatModLinear, a.n_planes = spec.n_planes;
    uint64_t off = 0;
    std::array<uint32_t, 3> rows{}, row_bytes{};
    for (uint32_t i = 0; i < spec.n_planes; i++) {
        const auto& p = spec.planes[i];
        row_bytes[i] = p.width(W) * p.bytes_per_texel;
        rows[i] = p.height(H);
        a.planes[i].offset = uint32_t(off);
        a.planes[i].stride = (row_bytes[i] + 255) & ~255u;
        off += (uint64_t(a.planes[i].stride) * rows[i] + 4095) & ~uint64_t(4095);
    }
    auto mem = alloc_dmabuf(off);
    if (!mem) return "no udmabuf or dma-heap to probe with";
    const MappedDmabuf& buf = *mem;
    for (uint32_t i = 0; i < spec.n_planes; i++) a.planes[i].fd = buf.fd();
    buf.begin_cpu(true);
    for (size_t i = 0; i < buf.size(); i++) buf.data()[i] = uint8_t(i * 7 + (i >> 8) * 13 + 1);
    buf.end_cpu(true);
    DmabufImportOptions o;
    if (render) o.usage = TextureUsage::sample | TextureUsage::render;
    auto t = import_dmabuf(b, a, o);
    if (!t) return t.error().message;
    auto* acc = dmabuf::access_of(**t);
    if (!acc) return "no access object";
    if (dmabuf::YuvPlanes* y = dmabuf::yuv_of(**t); y && y->native) return {};  // plane copies need extended usages
    if (auto r = acc->begin(render); !r) return r.error().message;
    std::string why;
    if (!render) {
        for (uint32_t i = 0; i < spec.n_planes && why.empty(); i++) {
            const auto& p = spec.planes[i];
            auto got = read_texture(b, acc->parts()[i].texture.get(), row_bytes[i] / p.bytes_per_texel, rows[i],
                                    p.bytes_per_texel);
            if (!got) {
                why = got.error().message;
                break;
            }
            for (uint32_t y = 0; y < rows[i] && why.empty(); y++)
                if (std::memcmp(got->data() + size_t(y) * row_bytes[i],
                                buf.data() + a.planes[i].offset + size_t(y) * a.planes[i].stride, row_bytes[i]) != 0)
                    why = std::format("plane {} row {} reads back different bytes", i, y);
        }
    } else {
        WGPURenderPassColorAttachment ca{};
        ca.view = (*t)->view();
        ca.depthSlice = WGPU_DEPTH_SLICE_UNDEFINED;
        ca.loadOp = WGPULoadOp_Clear;
        ca.storeOp = WGPUStoreOp_Store;
        ca.clearValue = {0, 0, 0, 0};  // all-zero bytes in every format
        WGPURenderPassDescriptor pd{};
        pd.colorAttachmentCount = 1;
        pd.colorAttachments = &ca;
        wg::CommandEncoder enc = wg::CommandEncoder::Acquire(wgpuDeviceCreateCommandEncoder(b.device(), nullptr));
        wg::RenderPassEncoder pass = wg::RenderPassEncoder::Acquire(wgpuCommandEncoderBeginRenderPass(enc.get(), &pd));
        wgpuRenderPassEncoderEnd(pass.get());
        wg::CommandBuffer cmd = wg::CommandBuffer::Acquire(wgpuCommandEncoderFinish(enc.get(), nullptr));
        WGPUCommandBuffer c = cmd.get();
        auto r = b.scoped([&] { wgpuQueueSubmit(b.queue(), 1, &c); }, "render probe");
        if (!r) why = r.error().message;
    }
    (void)acc->end();
    if (!why.empty()) return why;
    if (render) {
        if (auto r = b.wait_idle(); !r) return r.error().message;
        buf.begin_cpu(false);
        for (uint32_t y = 0; y < H && why.empty(); y++)
            for (uint32_t x = 0; x < W * spec.planes[0].bytes_per_texel; x++)
                if (buf.data()[size_t(y) * a.planes[0].stride + x] != 0) {
                    why = std::format("a cleared render pass did not reach the buffer memory (row {})", y);
                    break;
                }
        buf.end_cpu(false);
    }
    return why;
}

Probed run_probe(Bridge& b) {
    Probed p;
    if (!b.caps().dmabuf_import) return p;
    const bool verbose = std::getenv("WLGPU_DEBUG_DMABUF") != nullptr;
    for (const FormatSpec& spec : dmabuf::formats()) {
        std::string why = probe(b, spec, false);
        if (verbose) std::fprintf(stderr, "[wlgpu dmabuf] %s: %s\n", spec.name, why.empty() ? "ok" : why.c_str());
        if (!why.empty()) continue;
        std::vector<uint64_t> mods{kDrmFormatModLinear};
        if (!spec.yuv())
            for (uint64_t m : dmabuf::reported_modifiers(b, spec.planes[0].texture))
                if (std::ranges::find(mods, m) == mods.end()) mods.push_back(m);
        p.texture.push_back({spec.fourcc, mods});
        if (!spec.yuv() && spec.info->renderable) {
            std::string rwhy = probe(b, spec, true);
            if (verbose)
                std::fprintf(stderr, "[wlgpu dmabuf] %s render: %s\n", spec.name, rwhy.empty() ? "ok" : rwhy.c_str());
            if (rwhy.empty()) p.render.push_back({spec.fourcc, mods});
        }
    }
    return p;
}

const Probed& probed(Bridge& b) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    static std::mutex mu;
    // Keyed by the bridge's serial, not its device: holding a device reference to keep a
    // pointer key unique pinned every device ever probed (a compositor that re-creates its
    // renderer after a device loss kept the old device's driver fds and memory).
    static std::map<uint64_t, Probed> cache;
    std::lock_guard lock(mu);
    auto it = cache.find(b.serial());
    if (it == cache.end()) it = cache.emplace(b.serial(), run_probe(b)).first;
    return it->second;
}

}  // namespace

const std::vector<DmabufFormat>& dmabuf_texture_formats(Bridge& bridge) { return probed(bridge).texture; }
const std::vector<DmabufFormat>& dmabuf_render_formats(Bridge& bridge) { return probed(bridge).render; }

namespace dmabuf {

std::vector<uint64_t> reported_modifiers(const Bridge& b, WGPUTextureFormat f) {
    std::vector<uint64_t> mods;
    if (!b.caps().drm_format_caps) return mods;
    wg::DawnDrmFormatCapabilities drm;  // sType set, members freed by its destructor
    WGPUDawnFormatCapabilities caps{};
    caps.nextInChain = &drm.chain;
    if (wgpuAdapterGetFormatCapabilities(b.adapter(), f, &caps) == WGPUStatus_Success) {
        for (size_t i = 0; i < drm.propertiesCount; i++)
            if (drm.properties[i].modifierPlaneCount == 1) mods.push_back(drm.properties[i].modifier);
    }
    return mods;
}

}  // namespace dmabuf

}  // namespace wlgpu
