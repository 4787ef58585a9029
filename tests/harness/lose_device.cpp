// The test compositor's device-loss injection (--lose-device, device_loss.c): real Dawn device
// loss through the public C++ API, the way tests/wlr/test_wlr_lost.cpp does it
// (wgpuDeviceForceLoss on the renderer's device, then Dawn's events processed so that the
// renderer's lost flag is set; the renderer notices it at its next call).
#include "wlgpu/wlr.hpp"

extern "C" bool harness_lose_device(wlr_renderer* renderer, const char* why) {
    wlgpu::Bridge* b = wlgpu::wlr::bridge(renderer);
    if (!b) return false;
    wgpuDeviceForceLoss(b->device(), WGPUDeviceLostReason_Unknown, WGPUStringView{why, WGPU_STRLEN});
    b->process_events();
    return b->lost();
}
