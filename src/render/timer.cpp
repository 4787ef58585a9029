// RenderTimer on timestamp queries: written at the start and end of the frame's pass,
// resolved and copied to a MapRead buffer, read on demand.
#include <cstring>

#include "render/renderer_impl.hpp"
#include "common/signals_blocked.hpp"

namespace wlgpu {

Result<std::unique_ptr<GpuTimer>> GpuTimer::create(Bridge& b) {
    if (auto r = b.caps().require({Capabilities::Need::timestamp_query}, "GPU timer"); !r) return std::unexpected(r.error());
    std::unique_ptr<GpuTimer> t(new GpuTimer(b));
    auto r = b.scoped(
        [&] {
            WGPUQuerySetDescriptor q{};
            q.type = WGPUQueryType_Timestamp;
            q.count = 2;
            t->queries_ = wg::QuerySet::Acquire(wgpuDeviceCreateQuerySet(b.device(), &q));
            WGPUBufferDescriptor d{};
            d.size = 16;
            d.usage = WGPUBufferUsage_QueryResolve | WGPUBufferUsage_CopySrc;
            t->resolve_ = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(b.device(), &d));
            d.usage = WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst;
            t->readback_ = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(b.device(), &d));
        },
        "creating a render timer");
    if (!r) return std::unexpected(r.error());
    return t;
}

WGPUPassTimestampWrites GpuTimer::pass_writes() const {
    WGPUPassTimestampWrites w{};
    w.querySet = queries_.get();
    w.beginningOfPassWriteIndex = 0;
    w.endOfPassWriteIndex = 1;
    return w;
}

void GpuTimer::encode_resolve(WGPUCommandEncoder enc) {
    if (mapped_) {
        wgpuBufferUnmap(readback_.get());
        mapped_ = false;
    }
    if (pending_) {  // the previous frame's result was never read: drop it
        (void)bridge_->wait(map_future_);
        wgpuBufferUnmap(readback_.get());
        pending_ = false;
    }
    wgpuCommandEncoderResolveQuerySet(enc, queries_.get(), 0, 2, resolve_.get(), 0);
    wgpuCommandEncoderCopyBufferToBuffer(enc, resolve_.get(), 0, readback_.get(), 0, 16);
}

void GpuTimer::after_submit() {
    WGPUBufferMapCallbackInfo cb{};
    cb.mode = WGPUCallbackMode_WaitAnyOnly;
    cb.callback = [](WGPUMapAsyncStatus s, WGPUStringView, void* u, void*) { *static_cast<WGPUMapAsyncStatus*>(u) = s; };
    cb.userdata1 = &status_;
    status_ = WGPUMapAsyncStatus_Error;
    map_future_ = wgpuBufferMapAsync(readback_.get(), WGPUMapMode_Read, 0, 16, cb);
    pending_ = true;
}

Result<uint64_t> GpuTimer::duration_ns() {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    if (!pending_ && !mapped_) return fail(Errc::invalid_argument, "the timer has not been used by a submitted frame");
    if (pending_) {
        if (auto r = bridge_->wait(map_future_); !r) return std::unexpected(r.error());
        pending_ = false;
        if (status_ != WGPUMapAsyncStatus_Success)
            return fail(Errc::gpu_error, "mapping the timestamp buffer failed ({})", int(status_));
        mapped_ = true;
    }
    const void* p = wgpuBufferGetConstMappedRange(readback_.get(), 0, 16);
    if (!p) return fail(Errc::gpu_error, "the timestamp buffer has no mapped range");
    uint64_t ts[2];
    std::memcpy(ts, p, 16);
    return ts[1] >= ts[0] ? ts[1] - ts[0] : 0;
}

}  // namespace wlgpu
