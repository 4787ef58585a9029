// DMA-BUF import through Dawn SharedTextureMemory (DmaBuf): validation before any driver call,
// the RGB and YUV format table, per-plane and native multi-planar import. The texture's
// SharedAccess is the one SharedMemoryAccess (src/import/shared_access.cpp) over its memories.
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <format>

#include "import/dmabuf_internal.hpp"
#include "common/signals_blocked.hpp"
#include "wlgpu/bridge.hpp"
#include "common/pixel_format.hpp"
#include "wlgpu/format.hpp"

namespace wlgpu {

namespace dmabuf {

namespace {

// The DMA-BUF rows of the one format table (src/common/pixel_format.cpp), in its order.
std::vector<FormatSpec> build_table() {
    std::vector<FormatSpec> v;
    for (const auto& r : pixel::formats()) {
        const auto& d = r.dmabuf;
        if (d.n_planes == 0) continue;
        v.push_back({r.info.drm_fourcc, r.info.name, d.n_planes, d.planes, d.layout, d.swap_uv, d.bits,
                     d.native_multiplanar, &r.info});
    }
    return v;
}

const std::vector<FormatSpec>& table() {
    static const std::vector<FormatSpec> t = build_table();
    return t;
}


std::string modifier_name(uint64_t m) {
    if (m == kDrmFormatModLinear) return "LINEAR";
    if (m == kDrmFormatModInvalid) return "INVALID (implicit)";
    return std::format("{:#018x}", m);
}

}  // namespace

const FormatSpec* find_format(uint32_t fourcc) {
    for (const auto& f : table())
        if (f.fourcc == fourcc) return &f;
    return nullptr;
}

std::span<const FormatSpec> formats() { return table(); }

DmabufAccess* access_of(const Texture& t) { return dynamic_cast<DmabufAccess*>(t.shared_access.get()); }

YuvPlanes* yuv_of(const Texture& t) {
    DmabufAccess* a = access_of(t);
    return a ? a->yuv.get() : nullptr;
}

}  // namespace dmabuf

using dmabuf::FormatSpec;
using dmabuf::PlaneSpec;
using dmabuf::YuvLayout;

std::string drm_format_name(uint32_t fourcc) {
    if (const FormatSpec* f = dmabuf::find_format(fourcc)) return f->name;
    char buf[8];
    return fourcc_name(fourcc, buf);
}

std::string describe_dmabuf(const DmabufAttributes& a) {
    std::string s = std::format("dmabuf {}x{} {}", a.width, a.height, drm_format_name(a.format));
    if (a.modifier != kDrmFormatModLinear) s += " modifier " + dmabuf::modifier_name(a.modifier);
    return s;
}

namespace {

// The texture size of plane p of a w x h image of spec.
WGPUExtent3D plane_extent(const PlaneSpec& p, uint32_t w, uint32_t h) {
    return {p.width(w), p.height(h), 1};
}

}  // namespace

namespace dmabuf {

Result<std::array<BufferInfo, kDmabufMaxPlanes>> validate_layout(const Bridge& bridge, const DmabufAttributes& a,
                                                                 const FormatSpec** spec_out) {
    const std::string who = describe_dmabuf(a);
    const FormatSpec* spec = dmabuf::find_format(a.format);
    if (!spec) return fail(Errc::unsupported, "{}: unknown or unsupported DRM format {:#010x}", who, a.format);
    *spec_out = spec;
    if (a.width == 0 || a.height == 0) return fail(Errc::invalid_argument, "{}: zero size", who);
    const uint32_t max = bridge.limits().maxTextureDimension2D;
    if (a.width > max || a.height > max)
        return fail(Errc::invalid_argument, "{}: size is over the device limit {} (maxTextureDimension2D)", who, max);
    if (a.modifier == kDrmFormatModInvalid)
        return fail(Errc::unsupported, "{}: implicit modifiers (DRM_FORMAT_MOD_INVALID) cannot be imported in Vulkan",
                    who);
    if (a.modifier != kDrmFormatModLinear && spec->yuv())
        return fail(Errc::unsupported, "{}: YUV formats are imported with the LINEAR modifier only", who);
    if (a.n_planes == 0 || a.n_planes > kDmabufMaxPlanes)
        return fail(Errc::invalid_argument, "{}: {} planes (1 to {} allowed)", who, a.n_planes, kDmabufMaxPlanes);
    if (a.modifier == kDrmFormatModLinear && a.n_planes != spec->n_planes)
        return fail(Errc::invalid_argument, "{}: {} planes, but {} with the LINEAR modifier has {}", who, a.n_planes,
                    spec->name, spec->n_planes);
    if (spec->layout == YuvLayout::yuyv || spec->layout == YuvLayout::uyvy) {
        if (a.width % 2) return fail(Errc::invalid_argument, "{}: packed 4:2:2 needs an even width", who);
    }

    std::array<BufferInfo, kDmabufMaxPlanes> bufs{};
    for (uint32_t i = 0; i < a.n_planes; i++) {
        const DmabufPlane& p = a.planes[i];
        if (p.fd < 0) return fail(Errc::invalid_argument, "{} plane {}: fd {} is invalid", who, i, p.fd);
        if (fcntl(p.fd, F_GETFD) < 0)
            return fail(Errc::invalid_argument, "{} plane {}: fd {} is not open ({})", who, i, p.fd, strerror(errno));
        struct stat st {};
        if (fstat(p.fd, &st) != 0)
            return fail(Errc::invalid_argument, "{} plane {}: fstat of fd {} failed ({})", who, i, p.fd, strerror(errno));
        off_t end = lseek(p.fd, 0, SEEK_END);
        if (end <= 0) {
            int e = errno;
            return fail(Errc::invalid_argument, "{} plane {}: fd {} is not a dma-buf with a size (lseek: {})", who, i,
                        p.fd, end < 0 ? strerror(e) : "size 0");
        }
        lseek(p.fd, 0, SEEK_SET);
        bufs[i] = {uint64_t(end), st.st_dev, st.st_ino};
    }

    // Layout of each plane (LINEAR: from the format; other modifiers: only plane 0's rows are known).
    struct Range {
        uint64_t begin, end;
    };
    std::array<Range, kDmabufMaxPlanes> ranges{};
    for (uint32_t i = 0; i < a.n_planes; i++) {
        const DmabufPlane& p = a.planes[i];
        const bool known = a.modifier == kDrmFormatModLinear;
        const PlaneSpec& ps = spec->planes[known ? i : 0];
        const WGPUExtent3D e = plane_extent(ps, a.width, a.height);
        if (p.stride == 0) return fail(Errc::invalid_argument, "{} plane {}: stride is 0", who, i);
        uint64_t row_bytes = 0, rows_bytes = 0, end = 0;
        if (known || i == 0) {
            row_bytes = uint64_t(e.width) * ps.bytes_per_texel;
            if (known && p.stride < row_bytes)
                return fail(Errc::invalid_argument, "{} plane {}: stride {} is less than {} texels x {} bytes = {}", who,
                            i, p.stride, e.width, ps.bytes_per_texel, row_bytes);
            if (known && p.stride % ps.bytes_per_texel)
                return fail(Errc::invalid_argument, "{} plane {}: stride {} is not a multiple of {} bytes", who, i,
                            p.stride, ps.bytes_per_texel);
            // The plane is a texture of ps.texture from offset on: its texels must start on a texel.
            if (known && p.offset % ps.bytes_per_texel)
                return fail(Errc::invalid_argument, "{} plane {}: offset {} is not a multiple of {} bytes (the plane's texel)",
                            who, i, p.offset, ps.bytes_per_texel);
            if (__builtin_mul_overflow(uint64_t(p.stride), uint64_t(e.height), &rows_bytes) ||
                __builtin_add_overflow(rows_bytes, uint64_t(p.offset), &end))
                return fail(Errc::invalid_argument, "{} plane {}: offset {} + stride {} x height {} overflows", who, i,
                            p.offset, p.stride, e.height);
        } else {
            end = uint64_t(p.offset) + 1;
        }
        if (uint64_t(p.offset) >= bufs[i].size || end > bufs[i].size)
            return fail(Errc::invalid_argument, "{} plane {}: offset+stride*height ({} + {} x {} = {}) exceeds the {}-byte buffer",
                        who, i, p.offset, p.stride, e.height, end, bufs[i].size);
        ranges[i] = {p.offset, end};
    }
    // Planes in the same buffer must not overlap (a repeated fd, or two fds of one dma-buf).
    if (a.modifier == kDrmFormatModLinear) {
        for (uint32_t i = 0; i < a.n_planes; i++)
            for (uint32_t j = i + 1; j < a.n_planes; j++) {
                if (bufs[i].dev != bufs[j].dev || bufs[i].ino != bufs[j].ino) continue;
                if (ranges[i].begin < ranges[j].end && ranges[j].begin < ranges[i].end)
                    return fail(Errc::invalid_argument,
                                "{}: planes {} and {} overlap in the same buffer (fds {} and {}, bytes {}..{} and {}..{})",
                                who, i, j, a.planes[i].fd, a.planes[j].fd, ranges[i].begin, ranges[i].end,
                                ranges[j].begin, ranges[j].end);
            }
    }
    // Last, what kind of file each fd is: only dma-bufs reach the driver (a memfd or a regular file
    // has a size and a layout too, but a Vulkan driver cannot import it as a dma-buf).
    for (uint32_t i = 0; i < a.n_planes; i++) {
        struct statfs fs {};
        if (fstatfs(a.planes[i].fd, &fs) != 0)
            return fail(Errc::invalid_argument, "{} plane {}: fstatfs of fd {} failed ({})", who, i, a.planes[i].fd,
                        strerror(errno));
        if (fs.f_type != DMA_BUF_MAGIC)
            return fail(Errc::invalid_argument,
                        "{} plane {}: fd {} is not a dma-buf (its file system magic is {:#x}, a dma-buf's {:#x})", who,
                        i, a.planes[i].fd, uint64_t(fs.f_type), uint64_t(DMA_BUF_MAGIC));
    }
    return bufs;
}

}  // namespace dmabuf

namespace {

}  // namespace

namespace dmabuf {

Result<std::array<BufferInfo, kDmabufMaxPlanes>> validate_import(const Bridge& bridge, const DmabufAttributes& a,
                                                                 const DmabufImportOptions& o,
                                                                 const FormatSpec** spec_out) {
    auto bufs = validate_layout(bridge, a, spec_out);
    if (!bufs) return bufs;
    const FormatSpec* spec = *spec_out;
    // Lavapipe maps imported dma-bufs read-write; a read-only one (Mesa's GBM exports client
    // buffers without DRM_RDWR) fails there with VK_ERROR_INVALID_EXTERNAL_HANDLE, which
    // Dawn turns into the loss of the whole device. Refuse it before the driver sees it.
    for (uint32_t i = 0; i < a.n_planes; i++)
        if (bridge.identity().type == WGPUAdapterType_CPU && (fcntl(a.planes[i].fd, F_GETFL) & O_ACCMODE) != O_RDWR)
            return fail(Errc::unsupported,
                        "{} plane {}: fd {} is a read-only dma-buf (exported without DRM_RDWR), and the software "
                        "Vulkan driver '{}' can only import dma-bufs it may map read-write",
                        describe_dmabuf(a), i, a.planes[i].fd, bridge.identity().name);
    const std::string who = std::format("{} ({} plane{})", describe_dmabuf(a), a.n_planes, a.n_planes > 1 ? "s" : "");
    if (!bridge.caps().dmabuf_import)
        return fail(Errc::unsupported, "{}: the device has no DMA-BUF import (SharedTextureMemoryDmaBuf)", who);
    // A modifier the device does not list fails in the driver; the formats wlgpu advertises
    // (dmabuf_texture_formats) carry LINEAR and the listed ones only.
    if (a.modifier != kDrmFormatModLinear) {
        const std::vector<uint64_t> listed = reported_modifiers(bridge, spec->planes[0].texture);
        if (std::ranges::find(listed, a.modifier) == listed.end()) {
            std::string names = "LINEAR";
            for (uint64_t m : listed)
                if (m != kDrmFormatModLinear) names += ", " + modifier_name(m);
            return fail(Errc::unsupported, "{}: the device does not support modifier {} for {} (it lists {})", who,
                        modifier_name(a.modifier), spec->name, names);
        }
    }
    if ((o.usage & TextureUsage::render) && (spec->yuv() || !spec->info->renderable))
        return fail(Errc::unsupported, "{}: {} cannot be a render target", who, spec->name);
    if (uint32_t(o.color.matrix) > 2 || uint32_t(o.color.range) > 1)
        return fail(Errc::invalid_argument, "{}: unknown YUV matrix/range", who);
    return bufs;
}

}  // namespace dmabuf

namespace {

Result<dmabuf::DmabufAccess::Part> import_one(Bridge& b, const std::string& who, uint32_t dawn_fourcc, uint64_t modifier,
                                              WGPUExtent3D size, const DmabufPlane* planes, uint32_t n_planes,
                                              WGPUTextureFormat format, WGPUTextureUsage usage,
                                              WGPUTextureUsage optional = WGPUTextureUsage_None) {
    std::array<WGPUSharedTextureMemoryDmaBufPlane, kDmabufMaxPlanes> dp{};
    for (uint32_t i = 0; i < n_planes; i++) dp[i] = {planes[i].fd, planes[i].offset, planes[i].stride};
    WGPUSharedTextureMemoryDmaBufDescriptor dd{};
    dd.chain.sType = WGPUSType_SharedTextureMemoryDmaBufDescriptor;
    dd.size = size;
    dd.drmFormat = dawn_fourcc;
    dd.drmModifier = modifier;
    dd.planeCount = n_planes;
    dd.planes = dp.data();
    WGPUSharedTextureMemoryDescriptor md{};
    md.nextInChain = &dd.chain;
    md.label = wg::sv(who.c_str());
    dmabuf::DmabufAccess::Part part;
    auto r = b.scoped(
        [&] {
            part.memory = wg::SharedTextureMemory::Acquire(wgpuDeviceImportSharedTextureMemory(b.device(), &md));
            if (!part.memory) return;
            WGPUTextureDescriptor td{};
            td.label = md.label;
            td.usage = usage;
            if (optional != WGPUTextureUsage_None) {  // only what the memory allows
                WGPUSharedTextureMemoryProperties props{};
                if (wgpuSharedTextureMemoryGetProperties(part.memory.get(), &props) == WGPUStatus_Success)
                    td.usage |= optional & props.usage;
            }
            td.dimension = WGPUTextureDimension_2D;
            td.size = size;
            td.format = format;
            td.mipLevelCount = 1;
            td.sampleCount = 1;
            part.texture = wg::Texture::Acquire(wgpuSharedTextureMemoryCreateTexture(part.memory.get(), &td));
        },
        who);
    if (!r) return std::unexpected(r.error());
    if (!part.memory || !part.texture) return fail(Errc::gpu_error, "{}: Dawn returned no texture", who);
    return part;
}

wg::TextureView make_view(WGPUTexture t, WGPUTextureFormat f, WGPUTextureAspect aspect) {
    WGPUTextureViewDescriptor d{};
    d.format = f;
    d.dimension = WGPUTextureViewDimension_2D;
    d.mipLevelCount = 1;
    d.arrayLayerCount = 1;
    d.aspect = aspect;
    d.usage = WGPUTextureUsage_TextureBinding;
    return wg::TextureView::Acquire(wgpuTextureCreateView(t, &d));
}

}  // namespace

Result<void> validate_dmabuf(const Bridge& bridge, const DmabufAttributes& attrs) {
    const FormatSpec* spec = nullptr;
    auto r = dmabuf::validate_import(bridge, attrs, {}, &spec);
    if (!r) return std::unexpected(r.error());
    return {};
}

Result<std::shared_ptr<Texture>> import_dmabuf(Bridge& b, const DmabufAttributes& a, const DmabufImportOptions& o) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    const FormatSpec* spec = nullptr;
    auto bufs = dmabuf::validate_import(b, a, o, &spec);
    if (!bufs) return std::unexpected(bufs.error());
    const std::string who = std::format("{} ({} plane{})", describe_dmabuf(a), a.n_planes, a.n_planes > 1 ? "s" : "");
    const bool render = o.usage & TextureUsage::render;

    if (!spec->yuv()) {
        WGPUTextureUsage usage = WGPUTextureUsage_TextureBinding | WGPUTextureUsage_CopySrc;
        if (render) usage |= WGPUTextureUsage_RenderAttachment;
        // A render target may also take copies (exact texture copies and fills, src/render/blit)
        // where the memory allows them.
        const WGPUTextureUsage optional = render ? WGPUTextureUsage_CopyDst : WGPUTextureUsage_None;
        const PlaneSpec& p = spec->planes[0];
        auto part = import_one(b, who, p.dawn_fourcc, a.modifier, {a.width, a.height, 1}, a.planes.data(), a.n_planes,
                               p.texture, usage, optional);
        if (!part) return std::unexpected(part.error());
        auto tex = Texture::wrap(b, part->texture.get(), *spec->info, a.width, a.height);
        std::vector<dmabuf::DmabufAccess::Part> parts;
        parts.push_back(std::move(*part));
        tex->shared_access = std::make_shared<dmabuf::DmabufAccess>(b, std::move(parts), o.initialized, who);
        return tex;
    }

    auto yuv = std::make_shared<dmabuf::YuvPlanes>();
    yuv->spec = spec;
    yuv->width = a.width;
    yuv->height = a.height;
    yuv->color = o.color;
    std::vector<dmabuf::DmabufAccess::Part> parts;
    std::shared_ptr<Texture> tex;

    // Native multi-planar import (Dawn: NV12 with all planes in one buffer).
    bool one_buffer = true;
    for (uint32_t i = 1; i < a.n_planes; i++)
        one_buffer = one_buffer && (*bufs)[i].dev == (*bufs)[0].dev && (*bufs)[i].ino == (*bufs)[0].ino;
    const char* env = std::getenv("WLGPU_DMABUF_PER_PLANE");
    const bool allow_native = !(env && *env && std::strcmp(env, "0") != 0);
    if (spec->native_multiplanar && one_buffer && allow_native && b.caps().multi_planar) {
        std::array<DmabufPlane, kDmabufMaxPlanes> planes = a.planes;
        for (uint32_t i = 1; i < a.n_planes; i++) planes[i].fd = a.planes[0].fd;
        auto part = import_one(b, who, spec->fourcc, a.modifier, {a.width, a.height, 1}, planes.data(), a.n_planes,
                               WGPUTextureFormat_R8BG8Biplanar420Unorm, WGPUTextureUsage_TextureBinding);
        if (part) {
            yuv->views[0] = make_view(part->texture.get(), WGPUTextureFormat_R8Unorm, WGPUTextureAspect_Plane0Only);
            yuv->views[1] = make_view(part->texture.get(), WGPUTextureFormat_RG8Unorm, WGPUTextureAspect_Plane1Only);
            yuv->views[2] = yuv->views[1].clone();
            yuv->native = true;
            // Texture's own default view is invalid for a multi-planar texture: swallow that error.
            (void)b.scoped([&] { tex = Texture::wrap(b, part->texture.get(), *spec->info, a.width, a.height); },
                           "multi-planar default view");
            parts.push_back(std::move(*part));
        }
        // else: fall through to the per-plane path (e.g. a Dawn without single-fd NV12 import).
    }
    if (!tex) {
        for (uint32_t i = 0; i < spec->n_planes; i++) {
            const PlaneSpec& p = spec->planes[i];
            const std::string pw = std::format("{} plane {}", who, i);
            auto part = import_one(b, pw, p.dawn_fourcc, kDrmFormatModLinear, plane_extent(p, a.width, a.height),
                                   &a.planes[i], 1, p.texture, WGPUTextureUsage_TextureBinding | WGPUTextureUsage_CopySrc);
            if (!part) return std::unexpected(part.error());
            yuv->views[i] = make_view(part->texture.get(), p.texture, WGPUTextureAspect_All);
            parts.push_back(std::move(*part));
        }
        for (uint32_t i = spec->n_planes; i < 3; i++) yuv->views[i] = yuv->views[i - 1].clone();
        if (spec->layout == YuvLayout::three_plane && spec->swap_uv) std::swap(yuv->views[1], yuv->views[2]);
        tex = Texture::wrap(b, parts[0].texture.get(), *spec->info, a.width, a.height);
    }
    for (auto& v : yuv->views)
        if (!v) return fail(Errc::gpu_error, "{}: creating the plane views failed", who);
    auto access = std::make_shared<dmabuf::DmabufAccess>(b, std::move(parts), o.initialized, who);
    access->yuv = std::move(yuv);
    tex->shared_access = std::move(access);
    return tex;
}

bool is_yuv(const Texture& t) { return dmabuf::yuv_of(t) != nullptr; }

std::optional<YuvPlaneViews> yuv_plane_views(const Texture& t) {
    const dmabuf::YuvPlanes* y = dmabuf::yuv_of(t);
    if (!y) return std::nullopt;
    YuvPlaneViews v;
    for (size_t i = 0; i < 3; i++) v.views[i] = y->views[i].get();
    v.layout = y->spec->layout;
    v.swap_uv = y->spec->swap_uv;
    v.bits = y->spec->bits;
    v.color = y->color;
    v.color_generation = y->color_generation;
    v.format_name = y->spec->name;
    return v;
}

Result<void> set_yuv_color(const Texture& t, YuvColor c) {
    if (uint32_t(c.matrix) > 2 || uint32_t(c.range) > 1)
        return fail(Errc::invalid_argument, "set_yuv_color: unknown matrix {} or range {}", uint32_t(c.matrix),
                    uint32_t(c.range));
    dmabuf::YuvPlanes* y = dmabuf::yuv_of(t);
    if (!y || y->color == c) return {};
    y->color = c;
    y->color_generation++;
    return {};
}

}  // namespace wlgpu
