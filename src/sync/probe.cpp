// Detects drivers where a GPU-side wait on an unsignalled sync_file blocks the thread that
// submits (lavapipe: its queue waits for the semaphore on the CPU inside vkQueueSubmit, and
// vkGetSemaphoreFdKHR(SYNC_FD) waits for the queued work).
#include <format>
#include <thread>

#include "bridge/readback.hpp"
#include "common/dmabuf_alloc.hpp"
#include "common/drm_nodes.hpp"
#include "common/signals_blocked.hpp"
#include "common/vgem.hpp"
#include "wlgpu/bridge.hpp"
#include "wlgpu/dmabuf.hpp"
#include "wlgpu/sync.hpp"

namespace wlgpu::sync {

bool driver_known_to_block(Bridge& bridge, std::string* why) {
    const auto& id = bridge.identity();
    auto lower = [](std::string s) {
        for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
        return s;
    };
    std::string name = lower(id.name + " " + id.description + " " + id.architecture);
    bool software = id.type == WGPUAdapterType_CPU || name.find("llvmpipe") != std::string::npos ||
                    name.find("lavapipe") != std::string::npos || name.find("swiftshader") != std::string::npos;
    if (why)
        *why = software ? std::format("'{}' is a CPU (software) Vulkan driver: its queue waits for imported "
                                      "sync_files on the submitting thread", id.name)
                        : std::format("'{}' is a hardware driver: imported sync_files are waited for by the "
                                      "kernel/GPU", id.name);
    return software;
}

Result<ProbeResult> probe_gpu_wait_blocks(Bridge& bridge, std::chrono::milliseconds hold) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    using Need = Capabilities::Need;
    if (auto r = bridge.caps().require({Need::sync_fd_fence, Need::dmabuf_import}, "the GPU-wait probe"); !r)
        return std::unexpected(r.error());
    auto vgem = drm::open_node_of_driver("card", "vgem");
    if (!vgem) return fail(Errc::unsupported, "no vgem node (modprobe vgem) for an unsignalled fence");
    // A 16x16 udmabuf (RGBA8 LINEAR), imported like a client's buffer.
    constexpr uint32_t kSize = 16, kStride = kSize * 4;
    auto mem = alloc_dmabuf(DmabufSource::udmabuf, size_t(kStride) * kSize);
    if (!mem) return std::unexpected(mem.error());
    DmabufAttributes attrs;
    attrs.width = attrs.height = kSize;
    attrs.format = fourcc('A', 'B', '2', '4');  // DRM_FORMAT_ABGR8888: bytes R, G, B, A
    attrs.n_planes = 1;
    attrs.planes[0] = {mem->fd(), 0, kStride};
    auto tex = import_dmabuf(bridge, attrs);
    if (!tex) return std::unexpected(tex.error());
    SharedAccess& access = *(*tex)->shared_access;
    auto fence = vgem::fence(vgem->get());
    if (!fence) return std::unexpected(fence.error());

    WGPUBufferDescriptor bd{};
    bd.size = kCopyRowAlign * kSize;
    bd.usage = WGPUBufferUsage_CopyDst | WGPUBufferUsage_MapRead;
    wg::Buffer out = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(bridge.device(), &bd));

    if (auto r = access.add_wait_sync_file(fence->sync_file.release()); !r) {
        (void)vgem::signal(vgem->get(), fence->id);
        return std::unexpected(r.error());
    }
    int vgem_fd = vgem->get();
    uint32_t id = fence->id;
    auto t0 = std::chrono::steady_clock::now();
    std::thread signaller([=] {
        std::this_thread::sleep_until(t0 + hold);
        (void)vgem::signal(vgem_fd, id);
    });
    // The frame that samples the buffer: BeginAccess (waits for the fence), a copy, EndAccess.
    Result<void> res = access.begin(false);
    if (res) {
        submit_texture_copy(bridge.device(), bridge.queue(), (*tex)->handle(), Box{0, 0, int32_t(kSize), int32_t(kSize)},
                            out.get(), 0, kCopyRowAlign);
        res = access.end();
        if (res) (void)access.export_end_sync_file();  // what a release would do; closed at once
    }
    auto t1 = std::chrono::steady_clock::now();
    signaller.join();
    if (!res) return std::unexpected(res.error());
    ProbeResult p;
    p.hold_ms = std::chrono::duration<double, std::milli>(hold).count();
    p.submit_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    p.blocks = p.submit_ms > p.hold_ms * 0.5;
    return p;
}

}  // namespace wlgpu::sync
