// The copy path for DMA-BUFs the driver cannot import zero-copy (read-only dma-bufs on a software
// Vulkan driver): map the dma-buf read-only, read it between DMA_BUF_IOCTL_SYNC START/END READ,
// and upload it into a memory Texture (src/import/shm.cpp). Single-plane RGB, LINEAR only.
// dmabuf_texture decides between the zero-copy import and this copy.
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "import/dmabuf_internal.hpp"
#include "common/ioctl.hpp"
#include "common/signals_blocked.hpp"
#include "wlgpu/bridge.hpp"

namespace wlgpu {

namespace {

std::atomic<uint64_t> g_copies{0}, g_copy_bytes{0};

int sync_ioctl(int fd, uint64_t flags) {
    dma_buf_sync s{flags};
    return xioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

// What copy_dmabuf takes: the importer's own validation (dmabuf::validate_layout, the same that
// import_dmabuf runs), after the copy path's narrower format range. Returns the buffer's size.
Result<uint64_t> validate_copy(const Bridge& bridge, const DmabufAttributes& a, uint64_t max_copy_bytes) {
    const std::string who = describe_dmabuf(a);
    const dmabuf::FormatSpec* spec = dmabuf::find_format(a.format);
    if (!spec) return fail(Errc::unsupported, "{}: unknown or unsupported DRM format {:#010x}", who, a.format);
    if (spec->yuv() || a.n_planes != 1)
        return fail(Errc::unsupported, "{}: the copy path handles single-plane RGB formats only", who);
    if (a.modifier != kDrmFormatModLinear)
        return fail(Errc::unsupported, "{}: the copy path needs the LINEAR modifier (the layout of others is unknown)",
                    who);
    if (!find_shm_format(a.format)) return fail(Errc::unsupported, "{}: {} has no memory texture format", who, spec->name);
    // Before the layout checks (which seek the fds): the declared plane alone decides.
    const uint64_t declared = uint64_t(a.planes[0].stride) * a.height;
    if (declared > max_copy_bytes)
        return fail(Errc::unsupported,
                    "{}: {} bytes to copy on each commit exceed the copy path's limit of {} bytes "
                    "(DmabufImportOptions::max_copy_bytes); a read-only dma-buf this large is refused",
                    who, declared, max_copy_bytes);
    auto bufs = dmabuf::validate_layout(bridge, a, &spec);
    if (!bufs) return std::unexpected(bufs.error());
    return (*bufs)[0].size;
}

// The damage boxes clamped to the buffer, and the bytes of the buffer they cover.
std::vector<Box> clamp_damage(std::span<const Box> damage, const DmabufAttributes& a, uint64_t* bytes) {
    const Box all{0, 0, int32_t(a.width), int32_t(a.height)};
    const uint32_t bpp = find_shm_format(a.format)->bytes_per_pixel;
    std::vector<Box> out;
    *bytes = 0;
    for (const Box& d : damage) {
        Box b = intersect(d, all);
        if (b.empty()) continue;
        out.push_back(b);
        *bytes += uint64_t(b.width) * bpp * uint64_t(b.height);
    }
    return out;
}

// The one plane of a (its first `size` bytes), mapped read-only for the duration of
// fn(data, stride), between DMA_BUF_IOCTL_SYNC START/END READ. No Dawn, no Bridge: any thread.
template <typename Fn>
Result<void> map_plane(const DmabufAttributes& a, uint64_t size, Fn&& fn) {
    const DmabufPlane& p = a.planes[0];
    void* map = mmap(nullptr, size_t(size), PROT_READ, MAP_SHARED, p.fd, 0);
    if (map == MAP_FAILED)
        return fail(Errc::unsupported, "{}: mmap (read-only) of fd {} failed: {}", describe_dmabuf(a), p.fd,
                    strerror(errno));
    // Sync failures are not fatal (not every exporter implements begin/end_cpu_access the same
    // way); the content is then read as the kernel maps it.
    const bool synced = sync_ioctl(p.fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ) == 0;
    Result<void> r = fn(static_cast<const uint8_t*>(map) + p.offset, p.stride);
    if (synced) sync_ioctl(p.fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
    munmap(map, size_t(size));
    return r;
}

// The one plane of a, validated and mapped for fn(data, stride); or, where `copied` holds every
// box the upload needs, that copy (fn_copy(copied)) without mapping anything.
template <typename Fn, typename FnCopy>
Result<void> with_mapped(const Bridge& bridge, const DmabufAttributes& a, uint64_t max_copy_bytes, const RowCopy* copied,
                         std::span<const Box> boxes, Fn&& fn, FnCopy&& fn_copy) {
    auto size = validate_copy(bridge, a, max_copy_bytes);
    if (!size) return std::unexpected(size.error());
    Result<void> r = copied && copied->serves(a.planes[0].stride, boxes)
                         ? fn_copy(*copied)
                         : map_plane(a, *size, fn);
    if (r) g_copies.fetch_add(1, std::memory_order_relaxed);
    return r;
}

}  // namespace

bool dmabuf_read_only(const DmabufAttributes& attrs) {
    for (uint32_t i = 0; i < attrs.n_planes && i < kDmabufMaxPlanes; i++) {
        int fl = fcntl(attrs.planes[i].fd, F_GETFL);
        if (fl >= 0 && (fl & O_ACCMODE) != O_RDWR) return true;
    }
    return false;
}

Result<void> read_dmabuf_rows(const DmabufAttributes& attrs, RowCopy& into) {
    const DmabufPlane& p = attrs.planes[0];
    if (attrs.n_planes != 1 || into.stride() != p.stride || into.end() > attrs.height)
        return fail(Errc::invalid_argument, "{}: a copy of rows [{}, {}) with stride {} does not fit its plane",
                    describe_dmabuf(attrs), into.first(), into.end(), into.stride());
    // Rows up to end() only: the plane's layout was validated when the buffer was created.
    const uint64_t size = uint64_t(p.offset) + uint64_t(p.stride) * into.end();
    return map_plane(attrs, size, [&](const uint8_t* data, uint32_t stride) -> Result<void> {
        std::memcpy(into.row(into.first()), data + uint64_t(into.first()) * stride, into.bytes());
        return {};
    });
}

Result<std::shared_ptr<Texture>> copy_dmabuf(Bridge& bridge, const DmabufAttributes& attrs,
                                             const DmabufImportOptions& options) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    std::shared_ptr<Texture> out;
    const Box all{0, 0, int32_t(attrs.width), int32_t(attrs.height)};
    const auto counted = [&](Result<std::shared_ptr<Texture>> t) -> Result<void> {
        if (!t) return fail(t.error().code, "{} (copy): {}", describe_dmabuf(attrs), t.error().message);
        out = std::move(*t);
        g_copy_bytes.fetch_add(uint64_t(attrs.width) * out->format().bytes_per_pixel * attrs.height,
                               std::memory_order_relaxed);
        return {};
    };
    auto r = with_mapped(
        bridge, attrs, options.max_copy_bytes, options.copied, std::span<const Box>(&all, 1),
        [&](const uint8_t* data, uint32_t stride) {
            return counted(Texture::from_pixels(bridge, attrs.format, attrs.width, attrs.height, stride, data,
                                                TextureUsage::sample));
        },
        [&](const RowCopy& copy) {
            auto t = Texture::create(bridge, attrs.format, attrs.width, attrs.height, TextureUsage::sample);
            if (t)
                if (auto u = (*t)->update_from_copy(copy, std::span<const Box>(&all, 1)); !u)
                    return counted(std::unexpected(u.error()));
            return counted(std::move(t));
        });
    if (!r) return std::unexpected(r.error());
    return out;
}

Result<void> recopy_dmabuf(Texture& texture, const DmabufAttributes& attrs) {
    const Box all{0, 0, int32_t(attrs.width), int32_t(attrs.height)};
    return recopy_dmabuf(texture, attrs, std::span<const Box>(&all, 1));
}

Result<void> recopy_dmabuf(Texture& texture, const DmabufAttributes& attrs, std::span<const Box> damage,
                           const RowCopy* copied) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    if (texture.shared_access)
        return fail(Errc::invalid_argument, "{}: recopy_dmabuf needs a texture from copy_dmabuf, not an import",
                    describe_dmabuf(attrs));
    if (texture.width() != attrs.width || texture.height() != attrs.height ||
        texture.format().drm_fourcc != attrs.format)
        return fail(Errc::invalid_argument, "{}: the texture is {}x{} {}; recopy needs the same size and format",
                    describe_dmabuf(attrs), texture.width(), texture.height(), texture.format().name);
    uint64_t bytes = 0;
    const std::vector<Box> boxes = clamp_damage(damage, attrs, &bytes);
    const auto counted = [&](Result<void> u) -> Result<void> {
        if (!u) return fail(u.error().code, "{} (recopy): {}", describe_dmabuf(attrs), u.error().message);
        g_copy_bytes.fetch_add(bytes, std::memory_order_relaxed);
        return {};
    };
    // The texture exists, so the buffer passed the limit when it was first copied; it is the
    // same size, so no limit applies again.
    return with_mapped(
        texture.bridge(), attrs, UINT64_MAX, copied, boxes,
        [&](const uint8_t* data, uint32_t stride) { return counted(texture.update(data, stride, boxes)); },
        [&](const RowCopy& copy) { return counted(texture.update_from_copy(copy, boxes)); });
}

Result<void> validate_copy_dmabuf(const Bridge& bridge, const DmabufAttributes& attrs,
                                  const DmabufImportOptions& options) {
    auto size = validate_copy(bridge, attrs, options.max_copy_bytes);
    if (!size) return std::unexpected(size.error());
    return {};
}

uint64_t dmabuf_copy_count() { return g_copies.load(std::memory_order_relaxed); }
uint64_t dmabuf_copy_bytes() { return g_copy_bytes.load(std::memory_order_relaxed); }

namespace {
// Where the zero-copy import refuses a buffer that the copy path can show.
bool copy_instead(const Error& import_error, const DmabufAttributes& attrs) {
    return import_error.code == Errc::unsupported && dmabuf_read_only(attrs);
}
}  // namespace

Result<DmabufTexture> dmabuf_texture(Bridge& bridge, const DmabufAttributes& attrs,
                                     const DmabufImportOptions& options) {
    auto imported = import_dmabuf(bridge, attrs, options);
    if (imported) return DmabufTexture{std::move(*imported), DmabufPath::import, {}};
    if (!copy_instead(imported.error(), attrs)) return std::unexpected(imported.error());
    auto copied = copy_dmabuf(bridge, attrs, options);
    if (!copied)
        return fail(copied.error().code, "{}; nor can it be copied: {}", imported.error().message,
                    copied.error().message);
    return DmabufTexture{std::move(*copied), DmabufPath::copy, imported.error().message};
}

Result<void> validate_dmabuf_texture(const Bridge& bridge, const DmabufAttributes& attrs,
                                     const DmabufImportOptions& options) {
    const dmabuf::FormatSpec* spec = nullptr;
    auto v = dmabuf::validate_import(bridge, attrs, options, &spec);
    if (!v && copy_instead(v.error(), attrs)) return validate_copy_dmabuf(bridge, attrs, options);
    if (!v) return std::unexpected(v.error());
    return {};
}

Result<void> refresh_dmabuf_texture(const DmabufTexture& texture, const DmabufAttributes& attrs) {
    const Box all{0, 0, int32_t(attrs.width), int32_t(attrs.height)};
    return refresh_dmabuf_texture(texture, attrs, std::span<const Box>(&all, 1));
}

Result<void> refresh_dmabuf_texture(const DmabufTexture& texture, const DmabufAttributes& attrs,
                                    std::span<const Box> damage, const RowCopy* copied) {
    if (texture.path == DmabufPath::import) return {};
    if (!texture.texture) return fail(Errc::invalid_argument, "{}: refresh of an empty DmabufTexture", describe_dmabuf(attrs));
    return recopy_dmabuf(*texture.texture, attrs, damage, copied);
}

}  // namespace wlgpu
