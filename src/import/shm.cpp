// Textures from memory: create, from_pixels, damage-only update, read_pixels.
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "bridge/readback.hpp"
#include "import/format_convert.hpp"
#include "common/signals_blocked.hpp"
#include "wlgpu/bridge.hpp"
#include "wlgpu/texture.hpp"

namespace wlgpu {

namespace {

Result<const FormatInfo*> lookup(uint32_t drm_format) {
    const FormatInfo* f = find_shm_format(drm_format);
    if (!f) {
        char buf[8];
        return fail(Errc::invalid_argument, "unknown or unsupported format {} ({:#010x})",
                    fourcc_name(drm_format, buf), drm_format);
    }
    return f;
}

Result<void> check_size(const Bridge& b, const FormatInfo& f, uint32_t w, uint32_t h) {
    if (w == 0 || h == 0) return fail(Errc::invalid_argument, "{} buffer has zero size ({}x{})", f.name, w, h);
    uint32_t max = b.limits().maxTextureDimension2D;
    if (w > max || h > max)
        return fail(Errc::invalid_argument, "{} buffer size {}x{} is over the device limit {} (maxTextureDimension2D)",
                    f.name, w, h, max);
    return {};
}

Result<void> check_stride(const FormatInfo& f, uint32_t w, uint32_t h, uint32_t stride, const void* data) {
    if (!data) return fail(Errc::invalid_argument, "{} {}x{} buffer: data is null", f.name, w, h);
    if (uint64_t(stride) < uint64_t(w) * f.bytes_per_pixel)
        return fail(Errc::invalid_argument, "{} {}x{} buffer: stride {} is too small (width {} x {} bytes per pixel = {})",
                    f.name, w, h, stride, w, f.bytes_per_pixel, uint64_t(w) * f.bytes_per_pixel);
    if (stride % f.bytes_per_pixel != 0)
        return fail(Errc::invalid_argument, "{} {}x{} buffer: stride {} is not a multiple of {} bytes per pixel",
                    f.name, w, h, stride, f.bytes_per_pixel);
    return {};
}

WGPUTextureUsage wgpu_usage(TextureUsage u) {
    WGPUTextureUsage r = WGPUTextureUsage_CopyDst | WGPUTextureUsage_CopySrc | WGPUTextureUsage_TextureBinding;
    if (u & TextureUsage::render) r |= WGPUTextureUsage_RenderAttachment;
    return r;
}

// Intersects a box with the texture (types.hpp's intersect); empty when nothing is left.
Box clamp_box(Box b, uint32_t w, uint32_t h) { return intersect(b, {0, 0, int32_t(w), int32_t(h)}); }

void write_region(const Bridge& b, WGPUTexture tex, const FormatInfo& f, const uint8_t* base, uint32_t stride,
                  Box box, std::vector<uint8_t>& scratch) {
    const uint8_t* src = base + size_t(box.y) * stride + size_t(box.x) * f.bytes_per_pixel;
    WGPUTexelCopyTextureInfo dst{};
    dst.texture = tex;
    dst.origin = {uint32_t(box.x), uint32_t(box.y), 0};
    dst.aspect = WGPUTextureAspect_All;
    WGPUTexelCopyBufferLayout layout{};
    layout.rowsPerImage = uint32_t(box.height);
    WGPUExtent3D size{uint32_t(box.width), uint32_t(box.height), 1};
    if (f.cpu_convert) {
        scratch.resize(size_t(box.width) * box.height * 4);
        convert::rgb565_to_rgba8(src, stride, box.width, box.height, scratch.data());
        layout.bytesPerRow = uint32_t(box.width) * 4;
        wgpuQueueWriteTexture(b.queue(), &dst, scratch.data(), scratch.size(), &layout, &size);
        return;
    }
    layout.bytesPerRow = stride;
    size_t bytes = size_t(box.height - 1) * stride + size_t(box.width) * f.bytes_per_pixel;
    wgpuQueueWriteTexture(b.queue(), &dst, src, bytes, &layout, &size);
}

}  // namespace

Texture::Texture(Bridge& b, wg::Texture t, const FormatInfo& f, uint32_t w, uint32_t h)
    : bridge_(&b), texture_(std::move(t)), format_(&f), width_(w), height_(h),
      usage_(texture_ ? wgpuTextureGetUsage(texture_.get()) : WGPUTextureUsage_None) {
    view_ = wg::TextureView::Acquire(wgpuTextureCreateView(texture_.get(), nullptr));
}

Result<std::shared_ptr<Texture>> Texture::create(Bridge& bridge, uint32_t drm_format, uint32_t width, uint32_t height,
                                                 TextureUsage usage) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    auto f = lookup(drm_format);
    if (!f) return std::unexpected(f.error());
    if (auto r = check_size(bridge, **f, width, height); !r) return std::unexpected(r.error());
    if ((usage & TextureUsage::render) && !(*f)->renderable)
        return fail(Errc::unsupported, "{} cannot be a render target", (*f)->name);
    WGPUTextureDescriptor d{};
    d.label = wg::sv((*f)->name);
    d.usage = wgpu_usage(usage);
    d.dimension = WGPUTextureDimension_2D;
    d.size = {width, height, 1};
    d.format = (*f)->texture;
    d.mipLevelCount = 1;
    d.sampleCount = 1;
    wg::Texture tex;
    auto r = bridge.scoped([&] { tex = wg::Texture::Acquire(wgpuDeviceCreateTexture(bridge.device(), &d)); },
                           std::format("creating a {} {}x{} texture", (*f)->name, width, height));
    if (!r) return std::unexpected(r.error());
    auto t = std::make_shared<Texture>(bridge, std::move(tex), **f, width, height);
    t->content_tracked_ = true;  // not wrapped: its writes are this class's (content_version)
    return t;
}

Result<std::shared_ptr<Texture>> Texture::from_pixels(Bridge& bridge, uint32_t drm_format, uint32_t width,
                                                      uint32_t height, uint32_t stride, const void* data,
                                                      TextureUsage usage) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    auto f = lookup(drm_format);
    if (!f) return std::unexpected(f.error());
    if (auto r = check_size(bridge, **f, width, height); !r) return std::unexpected(r.error());
    if (auto r = check_stride(**f, width, height, stride, data); !r) return std::unexpected(r.error());
    auto t = create(bridge, drm_format, width, height, usage);
    if (!t) return t;
    Box all{0, 0, int32_t(width), int32_t(height)};
    if (auto r = (*t)->update(data, stride, std::span<const Box>(&all, 1)); !r) return std::unexpected(r.error());
    return t;
}

std::shared_ptr<Texture> Texture::wrap(Bridge& bridge, WGPUTexture texture, const FormatInfo& format, uint32_t width,
                                       uint32_t height) {
    return std::make_shared<Texture>(bridge, wg::Texture(texture), format, width, height);
}

Result<void> Texture::update(const void* data, uint32_t stride, std::span<const Box> damage) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    if (auto r = check_stride(*format_, width_, height_, stride, data); !r) return r;
    version_++;
    std::vector<uint8_t> scratch;
    TransferStats& stats = bridge_->transfers();
    for (const Box& d : damage) {
        Box b = clamp_box(d, width_, height_);
        if (b.empty()) continue;
        write_region(*bridge_, texture_.get(), *format_, static_cast<const uint8_t*>(data), stride, b, scratch);
        stats.upload_copies++;
        stats.upload_pixels += uint64_t(b.width) * uint64_t(b.height);
        stats.upload_staged++;
    }
    return {};
}

Result<WGPUFuture> Texture::update_from_import(const HostImport& from, std::span<const Box> damage) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    if (bridge_->lost()) return fail(Errc::device_lost, "uploading from imported memory: the device is lost");
    if (from.width() != width_ || from.height() != height_ || format_->cpu_convert)
        return fail(Errc::invalid_argument, "uploading {}x{} imported memory into a {} {}x{} texture", from.width(),
                    from.height(), format_->name, width_, height_);
    version_++;
    std::vector<Box> boxes, by_cpu;
    for (const Box& d : damage)
        if (Box b = clamp_box(d, width_, height_); !b.empty())
            (from.gpu_copy_cheaper(b) ? boxes : by_cpu).push_back(b);
    if (auto ok = update(from.data(), from.stride(), by_cpu); !ok) return std::unexpected(ok.error());
    if (boxes.empty()) return WGPUFuture{0};
    wg::CommandEncoder enc = wg::CommandEncoder::Acquire(wgpuDeviceCreateCommandEncoder(bridge_->device(), nullptr));
    from.encode_upload(*bridge_, enc.get(), texture_.get(), boxes);
    wg::CommandBuffer cmd = wg::CommandBuffer::Acquire(wgpuCommandEncoderFinish(enc.get(), nullptr));
    WGPUCommandBuffer c = cmd.get();
    wgpuQueueSubmit(bridge_->queue(), 1, &c);
    WGPUQueueWorkDoneCallbackInfo done{};
    done.mode = WGPUCallbackMode_WaitAnyOnly;
    done.callback = [](WGPUQueueWorkDoneStatus, WGPUStringView, void*, void*) {};
    return wgpuQueueOnSubmittedWorkDone(bridge_->queue(), done);
}

Result<RowCopy> RowCopy::allocate(uint32_t stride, uint32_t height, uint32_t first, uint32_t end) {
    if (stride == 0 || first >= end || end > height)
        return fail(Errc::invalid_argument, "row copy: rows [{}, {}) of a {}-row image (stride {})", first, end, height,
                    stride);
    RowCopy c;
    c.size_ = size_t(uint64_t(stride) * height);
    void* p = mmap(nullptr, c.size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return fail(Errc::system, "row copy: mapping {} bytes failed: {}", c.size_, strerror(errno));
    c.data_ = static_cast<uint8_t*>(p);
    c.stride_ = stride;
    c.first_ = first;
    c.end_ = end;
    return c;
}

RowCopy::RowCopy(RowCopy&& o) noexcept { *this = std::move(o); }

RowCopy& RowCopy::operator=(RowCopy&& o) noexcept {
    if (this == &o) return *this;
    if (data_) munmap(data_, size_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    stride_ = o.stride_;
    first_ = o.first_;
    end_ = o.end_;
    return *this;
}

RowCopy::~RowCopy() {
    if (data_) munmap(data_, size_);
}

bool RowCopy::covers(std::span<const Box> boxes) const {
    for (const Box& b : boxes)
        if (!b.empty() && (b.y < int64_t(first_) || int64_t(b.y) + b.height > int64_t(end_))) return false;
    return true;
}

Result<void> Texture::update_from_copy(const RowCopy& from, std::span<const Box> damage) {
    if (!from.covers(damage))
        return fail(Errc::invalid_argument, "uploading a copy of rows [{}, {}): the damage reaches outside them",
                    from.first(), from.end());
    // The GPU copies out of an import of the whole image (a driver may pin every page it covers):
    // only where every row was copied.
    //
    // The import is made per call and dropped once the GPU's copy is done, not cached as wl_shm
    // buffers cache theirs (src/wlr/upload.cpp, one per wlr_buffer): a RowCopy lives for one
    // commit (the wlroots adapter's CopyJob allocates it on its worker and frees it after the
    // commit is applied), so there is nothing to cache it on. Keeping the memory and its import
    // from one commit of a surface to the next is not sound as things are: the job can be
    // released last by the worker thread (a surface destroyed during its copy), and releasing an
    // import is a Dawn call, which the worker must not make; the import belongs to the Bridge of
    // the renderer that made it, while a surface outlives a lost renderer; and the kept copy
    // (up to DmabufImportOptions::kDefaultMaxCopyBytes a surface, its pages pinned by the
    // import) would stay resident between commits, outside the client's byte limit. The GPU
    // read itself is not the obstacle: this call waits for it before returning.
    const uint32_t texel = format_->bytes_per_pixel;
    const bool whole = from.first() == 0 && from.end() == height_;
    if (whole && !format_->cpu_convert &&
        HostImport::usable(*bridge_, from.data(), from.stride(), width_, height_, texel, HostUse::upload)) {
        auto h = HostImport::create(*bridge_, from.data(), from.stride(), width_, height_, texel, HostUse::upload);
        if (h) {
            auto done = update_from_import(*h, damage);
            if (!done) return std::unexpected(done.error());
            return done->id == 0 ? Result<void>{} : bridge_->wait(*done);
        }
    }
    return update(from.data(), from.stride(), damage);
}

namespace {

// Copies box i of a mapped read-back into dst (pixel (0,0) of the box at d), converting to out.
void copy_out(const Readback& rb, size_t i, Box box, const FormatInfo& from, const FormatInfo& out, uint8_t* d,
              uint32_t dst_stride) {
    const uint32_t texel = convert::texel_size(from);
    const bool same = &out == &from && !from.cpu_convert;
    for (int32_t y = 0; y < box.height; y++) {
        const uint8_t* row = rb.row(i, uint32_t(y));
        uint8_t* drow = d + size_t(y) * dst_stride;
        if (same) {
            std::memcpy(drow, row, size_t(box.width) * texel);
            continue;
        }
        for (int32_t x = 0; x < box.width; x++)
            convert::encode(out, convert::decode_texel(from, row + size_t(x) * texel),
                            drow + size_t(x) * out.bytes_per_pixel);
    }
}

}  // namespace

Result<void> Texture::read_pixels(uint32_t drm_format, Box src, uint32_t dst_stride, void* dst) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    auto df = lookup(drm_format);
    if (!df) return std::unexpected(df.error().context("read_pixels"));
    const FormatInfo& out = **df;
    if (src.empty() || src.x < 0 || src.y < 0 || int64_t(src.x) + src.width > int64_t(width_) ||
        int64_t(src.y) + src.height > int64_t(height_))
        return fail(Errc::invalid_argument, "read_pixels: src box {},{} {}x{} is outside the {} {}x{} texture", src.x,
                    src.y, src.width, src.height, format_->name, width_, height_);
    if (auto r = check_stride(out, uint32_t(src.width), uint32_t(src.height), dst_stride, dst); !r)
        return std::unexpected(r.error().context("read_pixels"));

    if (!(usage_ & WGPUTextureUsage_CopySrc))
        return fail(Errc::invalid_argument, "read_pixels: the texture was not created with CopySrc usage");
    auto rb = read_back(*bridge_, texture_.get(), convert::texel_size(*format_), src, "wlgpu read_pixels");
    if (!rb) return std::unexpected(rb.error());
    copy_out(*rb, 0, src, *format_, out, static_cast<uint8_t*>(dst), dst_stride);
    return {};
}

// A read-back recorded and not yet finished: where the pixels go, and how they come.
struct Texture::PendingReadback {
    std::vector<Box> boxes;  // clamped to the texture
    uint8_t* data = nullptr;
    uint32_t stride = 0;
    const FormatInfo* out = nullptr;
    std::shared_ptr<HostImport> host;  // the GPU writes into the memory itself
    std::optional<Readback> staged;    // else: the staging buffer, copied out after the map
    bool active = false;
};

Result<bool> Texture::record_read_back(WGPUCommandEncoder enc, const MemoryTarget& m) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    if (!pending_) pending_ = std::make_shared<PendingReadback>();
    PendingReadback& p = *pending_;
    if (p.active) return fail(Errc::invalid_argument, "read_back_to_memory: a read-back is already pending");
    if (!(usage_ & WGPUTextureUsage_CopySrc))
        return fail(Errc::invalid_argument, "read_back_to_memory: the texture was not created with CopySrc usage");
    auto df = lookup(m.drm_format);
    if (!df) return std::unexpected(df.error().context("read_back_to_memory"));
    const FormatInfo& out = **df;
    if (auto r = check_stride(out, width_, height_, m.stride, m.data); !r)
        return std::unexpected(r.error().context("read_back_to_memory"));
    p.boxes.clear();
    for (const Box& d : m.boxes)
        if (Box b = clamp_box(d, width_, height_); !b.empty()) p.boxes.push_back(b);
    if (p.boxes.empty()) return false;

    const uint32_t texel = convert::texel_size(*format_);
    const bool same = m.may_import && &out == format_ && !format_->cpu_convert;
    if (same && !(host_import_ && host_import_->matches(m.data, m.stride, width_, height_)) &&
        host_import_refused_ != m.data) {
        host_import_.reset();
        if (HostImport::usable(*bridge_, m.data, m.stride, width_, height_, texel)) {
            auto h = HostImport::create(*bridge_, m.data, m.stride, width_, height_, texel);
            if (h) host_import_ = std::make_shared<HostImport>(std::move(*h));
        }
        if (!host_import_) host_import_refused_ = m.data;
    }
    p.host.reset();
    if (same && host_import_ && host_import_->matches(m.data, m.stride, width_, height_)) {
        if (auto ok = host_import_->encode_copy(*bridge_, enc, texture_.get(), p.boxes); !ok)
            return std::unexpected(ok.error());
        p.host = host_import_;
    } else {
        auto rb = wlgpu::record_read_back(*bridge_, texture_.get(), texel, p.boxes, enc, "wlgpu read_back_to_memory");
        if (!rb) return std::unexpected(rb.error());
        p.staged.emplace(std::move(*rb));
    }
    p.data = static_cast<uint8_t*>(m.data);
    p.stride = m.stride;
    p.out = &out;
    p.active = true;
    return true;
}

void Texture::cancel_read_back() {
    if (!pending_) return;
    pending_->active = false;
    pending_->host.reset();
    pending_->staged.reset();
}

Result<void> Texture::finish_read_back() {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    if (!pending_ || !pending_->active) return {};
    PendingReadback& p = *pending_;
    Result<void> r;
    if (p.host) {
        r = p.host->wait(*bridge_, p.boxes);
    } else if (r = p.staged->map(*bridge_, "wlgpu read_back_to_memory"); r) {
        for (size_t i = 0; i < p.boxes.size(); i++) {
            const Box& b = p.boxes[i];
            copy_out(*p.staged, i, b, *format_, *p.out,
                     p.data + size_t(b.y) * p.stride + size_t(b.x) * p.out->bytes_per_pixel, p.stride);
        }
    }
    cancel_read_back();
    return r;
}

Result<void> Texture::read_back_to_memory(std::span<const Box> boxes, void* data, uint32_t stride,
                                          uint32_t drm_format, bool may_import) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    wg::CommandEncoder enc = wg::CommandEncoder::Acquire(wgpuDeviceCreateCommandEncoder(bridge_->device(), nullptr));
    auto recorded = record_read_back(enc.get(), MemoryTarget{boxes, data, stride, drm_format, may_import});
    if (!recorded || !*recorded) return recorded ? Result<void>{} : std::unexpected(recorded.error());
    wg::CommandBuffer cmd = wg::CommandBuffer::Acquire(wgpuCommandEncoderFinish(enc.get(), nullptr));
    WGPUCommandBuffer c = cmd.get();
    wgpuQueueSubmit(bridge_->queue(), 1, &c);
    return finish_read_back();
}

}  // namespace wlgpu
