#include "bridge/readback.hpp"

namespace wlgpu {

void submit_texture_copy(WGPUDevice device, WGPUQueue queue, WGPUTexture tex, Box src, WGPUBuffer buf,
                         uint64_t offset, uint32_t bytes_per_row) {
    wg::CommandEncoder enc = wg::CommandEncoder::Acquire(wgpuDeviceCreateCommandEncoder(device, nullptr));
    WGPUTexelCopyTextureInfo from{};
    from.texture = tex;
    from.origin = {uint32_t(src.x), uint32_t(src.y), 0};
    from.aspect = WGPUTextureAspect_All;
    WGPUTexelCopyBufferInfo to{};
    to.buffer = buf;
    to.layout.offset = offset;
    to.layout.bytesPerRow = bytes_per_row;
    to.layout.rowsPerImage = uint32_t(src.height);
    WGPUExtent3D size{uint32_t(src.width), uint32_t(src.height), 1};
    wgpuCommandEncoderCopyTextureToBuffer(enc.get(), &from, &to, &size);
    wg::CommandBuffer cmd = wg::CommandBuffer::Acquire(wgpuCommandEncoderFinish(enc.get(), nullptr));
    WGPUCommandBuffer c = cmd.get();
    wgpuQueueSubmit(queue, 1, &c);
}

Readback::~Readback() {
    if (data_) wgpuBufferUnmap(buffer_.get());
}

Result<Readback> read_back(const Bridge& b, WGPUTexture tex, uint32_t texel_bytes, Box src, const char* label) {
    Readback rb;
    rb.row_bytes_ = copy_row_bytes(uint32_t(src.width), texel_bytes);
    WGPUBufferDescriptor bd{};
    bd.label = wg::sv(label);
    bd.size = uint64_t(rb.row_bytes_) * uint32_t(src.height);
    bd.usage = WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst;
    auto r = b.scoped(
        [&] {
            rb.buffer_ = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(b.device(), &bd));
            submit_texture_copy(b.device(), b.queue(), tex, src, rb.buffer_.get(), 0, rb.row_bytes_);
        },
        "copying the texture to a buffer");
    if (!r) return std::unexpected(r.error());

    WGPUMapAsyncStatus status = WGPUMapAsyncStatus_Error;
    WGPUBufferMapCallbackInfo cb{};
    cb.mode = WGPUCallbackMode_WaitAnyOnly;
    cb.callback = [](WGPUMapAsyncStatus s, WGPUStringView, void* u, void*) { *static_cast<WGPUMapAsyncStatus*>(u) = s; };
    cb.userdata1 = &status;
    if (auto w = b.wait(wgpuBufferMapAsync(rb.buffer_.get(), WGPUMapMode_Read, 0, bd.size, cb)); !w)
        return std::unexpected(w.error());
    if (status != WGPUMapAsyncStatus_Success)
        return fail(b.lost() ? Errc::device_lost : Errc::gpu_error, "{}: mapping the read-back buffer failed ({})",
                    label, int(status));
    rb.data_ = static_cast<const uint8_t*>(wgpuBufferGetConstMappedRange(rb.buffer_.get(), 0, bd.size));
    if (!rb.data_) {
        wgpuBufferUnmap(rb.buffer_.get());
        return fail(Errc::gpu_error, "{}: the mapped range is null", label);
    }
    return rb;
}

}  // namespace wlgpu
