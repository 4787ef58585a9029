#include "bridge/readback.hpp"

#include <unistd.h>

namespace wlgpu {

void encode_texture_copies(WGPUCommandEncoder enc, WGPUTexture tex, WGPUBuffer buf, std::span<const TextureCopy> copies) {
    for (const TextureCopy& c : copies) {
        WGPUTexelCopyTextureInfo from{};
        from.texture = tex;
        from.origin = {uint32_t(c.src.x), uint32_t(c.src.y), 0};
        from.aspect = WGPUTextureAspect_All;
        WGPUTexelCopyBufferInfo to{};
        to.buffer = buf;
        to.layout.offset = c.offset;
        to.layout.bytesPerRow = c.bytes_per_row;
        to.layout.rowsPerImage = uint32_t(c.src.height);
        WGPUExtent3D size{uint32_t(c.src.width), uint32_t(c.src.height), 1};
        wgpuCommandEncoderCopyTextureToBuffer(enc, &from, &to, &size);
    }
}

namespace {

void submit_encoder(WGPUQueue queue, wg::CommandEncoder enc) {
    wg::CommandBuffer cmd = wg::CommandBuffer::Acquire(wgpuCommandEncoderFinish(enc.get(), nullptr));
    WGPUCommandBuffer c = cmd.get();
    wgpuQueueSubmit(queue, 1, &c);
}

}  // namespace

void submit_texture_copies(WGPUDevice device, WGPUQueue queue, WGPUTexture tex, WGPUBuffer buf,
                           std::span<const TextureCopy> copies) {
    wg::CommandEncoder enc = wg::CommandEncoder::Acquire(wgpuDeviceCreateCommandEncoder(device, nullptr));
    encode_texture_copies(enc.get(), tex, buf, copies);
    submit_encoder(queue, std::move(enc));
}

namespace {

Result<void> check_device(const Bridge& b, const char* label) {
    if (b.lost()) return fail(Errc::device_lost, "{}: the device is lost", label);
    return {};
}

void count_one(const Bridge& b, Box x, bool host_mapped) {
    TransferStats& s = b.transfers();
    s.readback_copies++;
    s.readback_pixels += uint64_t(x.width) * uint64_t(x.height);
    (host_mapped ? s.readback_host_mapped : s.readback_staged)++;
}

wg::Buffer create_staging(const Bridge& b, uint64_t size, const char* label) {
    WGPUBufferDescriptor bd{};
    bd.label = wg::sv(label);
    bd.size = size;
    bd.usage = WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst;
    b.transfers().staging_buffers_created++;
    return wg::Buffer::Acquire(wgpuDeviceCreateBuffer(b.device(), &bd));
}

}  // namespace

Readback::~Readback() {
    if (data_ && buf_) wgpuBufferUnmap(buf_);
    if (staging_) staging_->in_use = false;
}

Result<Readback> record_read_back(const Bridge& b, WGPUTexture tex, uint32_t texel_bytes, std::span<const Box> boxes,
                                  WGPUCommandEncoder enc, const char* label) {
    if (auto ok = check_device(b, label); !ok) return std::unexpected(ok.error());
    Readback rb;
    uint64_t size = 0;
    for (const Box& x : boxes) {
        const uint32_t row = copy_row_bytes(uint32_t(x.width), texel_bytes);
        rb.boxes_.push_back(TextureCopy{x, size, row});
        size += uint64_t(row) * uint32_t(x.height);
    }
    if (size == 0) return fail(Errc::invalid_argument, "{}: nothing to read back", label);

    // The bridge's staging buffer, grown (doubling) when too small; a buffer of our own only
    // when a Readback still holds it mapped.
    ReadbackStaging& st = b.readback_staging();
    WGPUBuffer buf;
    if (!st.in_use) {
        if (st.capacity < size) {
            uint64_t cap = std::max<uint64_t>(st.capacity * 2, 1 << 20);
            while (cap < size) cap *= 2;
            st.buffer = create_staging(b, cap, "wlgpu read-back staging");
            if (!st.buffer) return fail(Errc::gpu_error, "{}: creating a {} byte staging buffer failed", label, cap);
            st.capacity = cap;
        }
        st.in_use = true;
        rb.staging_ = &st;
        buf = st.buffer.get();
    } else {
        rb.own_ = create_staging(b, size, label);
        if (!rb.own_) return fail(Errc::gpu_error, "{}: creating a {} byte staging buffer failed", label, size);
        buf = rb.own_.get();
    }
    rb.buf_ = buf;
    rb.size_ = size;
    encode_texture_copies(enc, tex, buf, rb.boxes_);
    return rb;
}

Result<void> Readback::map(const Bridge& b, const char* label) {
    WGPUMapAsyncStatus status = WGPUMapAsyncStatus_Error;
    WGPUBufferMapCallbackInfo cb{};
    cb.mode = WGPUCallbackMode_WaitAnyOnly;
    cb.callback = [](WGPUMapAsyncStatus s, WGPUStringView, void* u, void*) { *static_cast<WGPUMapAsyncStatus*>(u) = s; };
    cb.userdata1 = &status;
    if (auto w = b.wait(wgpuBufferMapAsync(buf_, WGPUMapMode_Read, 0, size_, cb)); !w) return w;
    if (status != WGPUMapAsyncStatus_Success)
        return fail(b.lost() ? Errc::device_lost : Errc::gpu_error, "{}: mapping the read-back buffer failed ({})",
                    label, int(status));
    data_ = static_cast<const uint8_t*>(wgpuBufferGetConstMappedRange(buf_, 0, size_));
    if (!data_) {
        wgpuBufferUnmap(buf_);
        return fail(Errc::gpu_error, "{}: the mapped range is null", label);
    }
    for (const TextureCopy& c : boxes_) count_one(b, c.src, false);
    return {};
}

Result<Readback> read_back(const Bridge& b, WGPUTexture tex, uint32_t texel_bytes, std::span<const Box> boxes,
                           const char* label) {
    wg::CommandEncoder enc = wg::CommandEncoder::Acquire(wgpuDeviceCreateCommandEncoder(b.device(), nullptr));
    auto rb = record_read_back(b, tex, texel_bytes, boxes, enc.get(), label);
    if (!rb) return rb;
    submit_encoder(b.queue(), std::move(enc));
    if (auto m = rb->map(b, label); !m) return std::unexpected(m.error());
    return rb;
}

Result<void> HostImport::usable(const Bridge& b, const void* data, uint32_t stride, uint32_t width, uint32_t height,
                                uint32_t texel_bytes, HostUse use) {
    const uint32_t a = b.caps().host_mapped_alignment;
    if (!b.caps().host_mapped_pointer) return fail(Errc::unsupported, "the device lacks HostMappedPointer");
    if (a > uint64_t(sysconf(_SC_PAGESIZE)))
        return fail(Errc::unsupported, "the host pointer alignment {} is larger than a page", a);
    if (stride % texel_bytes != 0)
        return fail(Errc::unsupported, "stride {} is not a multiple of {} bytes", stride, texel_bytes);
    if (use == HostUse::read_back && stride % kCopyRowAlign != 0)
        return fail(Errc::unsupported, "stride {} is not a multiple of {} (bytesPerRow)", stride, kCopyRowAlign);
    if (reinterpret_cast<uintptr_t>(data) % texel_bytes != 0)
        return fail(Errc::unsupported, "the pointer {} is not a multiple of {} bytes", data, texel_bytes);
    if (width == 0 || height == 0) return fail(Errc::invalid_argument, "the image is empty");
    return {};
}

Result<HostImport> HostImport::create(const Bridge& b, void* data, uint32_t stride, uint32_t width, uint32_t height,
                                      uint32_t texel_bytes, HostUse use) {
    if (auto ok = usable(b, data, stride, width, height, texel_bytes, use); !ok) return std::unexpected(ok.error());
    // The import covers the whole aligned blocks (at most pages) that the image touches: they
    // are mapped wherever one of their bytes is; copies write only the boxes' texels.
    const uint64_t a = b.caps().host_mapped_alignment;
    const uintptr_t first = reinterpret_cast<uintptr_t>(data);
    const uintptr_t end = first + uint64_t(height - 1) * stride + uint64_t(width) * texel_bytes;
    const uintptr_t start = first / a * a;
    const uint64_t size = (end - start + a - 1) / a * a;

    HostImport h;
    auto host = wg::chained<WGPUBufferHostMappedPointer>();
    host.pointer = reinterpret_cast<void*>(start);
    host.disposeCallback = [](void*) {};  // the memory is the caller's
    WGPUBufferDescriptor bd{};
    bd.nextInChain = &host.chain;
    const bool up = use == HostUse::upload;
    bd.label = wg::sv(up ? "wlgpu host-mapped upload source" : "wlgpu host-mapped read-back target");
    bd.size = size;
    bd.usage = up ? WGPUBufferUsage_CopySrc : WGPUBufferUsage_CopyDst;
    auto r = b.scoped([&] { h.buffer_ = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(b.device(), &bd)); },
                      std::format("importing {} bytes of memory at {} as a buffer", size, host.pointer));
    if (!r) return std::unexpected(r.error());
    b.transfers().host_imports_created++;
    h.data_ = data;
    h.data_offset_ = first - start;
    h.stride_ = stride, h.width_ = width, h.height_ = height, h.texel_ = texel_bytes;
    return h;
}

Result<void> HostImport::encode_copy(const Bridge& b, WGPUCommandEncoder enc, WGPUTexture tex,
                                     std::span<const Box> boxes) const {
    if (auto ok = check_device(b, "host-mapped read-back"); !ok) return ok;
    std::vector<TextureCopy> copies;
    copies.reserve(boxes.size());
    for (const Box& x : boxes)
        copies.push_back(TextureCopy{x, data_offset_ + uint64_t(x.y) * stride_ + uint64_t(x.x) * texel_, stride_});
    encode_texture_copies(enc, tex, buffer_.get(), copies);
    return {};
}

Result<void> HostImport::wait(const Bridge& b, std::span<const Box> boxes) const {
    if (auto w = b.wait_idle(); !w) return w;
    for (const Box& x : boxes) count_one(b, x, true);
    return {};
}

void HostImport::encode_upload(const Bridge& b, WGPUCommandEncoder enc, WGPUTexture tex,
                               std::span<const Box> boxes) const {
    const bool by_row = stride_ % kCopyRowAlign != 0;
    TransferStats& s = b.transfers();
    for (const Box& x : boxes) {
        const int32_t parts = by_row ? x.height : 1;
        for (int32_t i = 0; i < parts; i++) {
            const Box part = by_row ? Box{x.x, x.y + i, x.width, 1} : x;
            WGPUTexelCopyBufferInfo from{};
            from.buffer = buffer_.get();
            from.layout.offset = data_offset_ + uint64_t(part.y) * stride_ + uint64_t(part.x) * texel_;
            from.layout.bytesPerRow = by_row ? WGPU_COPY_STRIDE_UNDEFINED : stride_;
            from.layout.rowsPerImage = uint32_t(part.height);
            WGPUTexelCopyTextureInfo to{};
            to.texture = tex;
            to.origin = {uint32_t(part.x), uint32_t(part.y), 0};
            to.aspect = WGPUTextureAspect_All;
            WGPUExtent3D size{uint32_t(part.width), uint32_t(part.height), 1};
            wgpuCommandEncoderCopyBufferToTexture(enc, &from, &to, &size);
        }
        s.upload_copies++;
        s.upload_pixels += uint64_t(x.width) * uint64_t(x.height);
        s.upload_host_mapped++;
    }
}

Result<void> HostImport::copy_from(const Bridge& b, WGPUTexture tex, std::span<const Box> boxes) const {
    wg::CommandEncoder enc = wg::CommandEncoder::Acquire(wgpuDeviceCreateCommandEncoder(b.device(), nullptr));
    if (auto ok = encode_copy(b, enc.get(), tex, boxes); !ok) return ok;
    submit_encoder(b.queue(), std::move(enc));
    return wait(b, boxes);
}

}  // namespace wlgpu
