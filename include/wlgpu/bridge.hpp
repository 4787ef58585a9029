// The bridge: Dawn instance, adapter and device, on Vulkan, for a wlroots host.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wlgpu/error.hpp"
#include "wlgpu/webgpu/handle.hpp"

namespace wlgpu {

// Which GPU to use. Empty = the first usable adapter (hardware before software).
struct AdapterSelector {
    std::string drm_node;                      // e.g. "/dev/dri/renderD128" (primary nodes work too)
    // An open DRM fd of the device to use (borrowed, only during Bridge::create): the
    // compositor's backend fd (wlr_backend_get_drm_fd), a primary or render node. -1 = none.
    int drm_fd = -1;
    uint32_t vendor_id = 0, device_id = 0;     // PCI ids; 0 = any
    std::optional<std::array<uint8_t, 16>> device_uuid;  // VkPhysicalDeviceIDProperties::deviceUUID
    bool allow_software = true;                // accept lavapipe/SwiftShader (CPU adapters)
};

// What the Vulkan driver says about the physical device behind the Dawn adapter.
struct AdapterIdentity {
    std::string name, vendor, architecture, description;
    uint32_t vendor_id = 0, device_id = 0, driver_version = 0;
    WGPUAdapterType type = WGPUAdapterType_Unknown;
    WGPUBackendType backend = WGPUBackendType_Undefined;
    std::optional<std::array<uint8_t, 16>> device_uuid, driver_uuid;
    // DRM nodes (VK_EXT_physical_device_drm), -1 when the driver has none.
    int64_t primary_major = -1, primary_minor = -1, render_major = -1, render_minor = -1;
    std::string render_node;  // "/dev/dri/renderD128" if it exists, else ""
};

// Capabilities that later layers use to choose their paths.
// What the device can do that wlgpu reads (each field: the Dawn feature it stands for).
struct Capabilities {
    bool dmabuf_import = false;          // SharedTextureMemoryDmaBuf
    bool opaque_fd_memory = false;       // SharedTextureMemoryOpaqueFD
    bool sync_fd_fence = false;          // SharedFenceSyncFD
    bool opaque_fd_semaphore = false;    // SharedFenceVkSemaphoreOpaqueFD
    bool multi_planar = false;           // DawnMultiPlanarFormats
    bool p010 = false;                   // MultiPlanarFormatP010 (summary only)
    bool drm_format_caps = false;        // DawnDrmFormatCapabilities
    bool timestamp_query = false;        // TimestampQuery
    bool host_mapped_pointer = false;    // HostMappedPointer: buffers over caller memory (0x50010)
    uint32_t host_mapped_alignment = 0;  // its pointer/size alignment (DawnHostMappedPointerLimits)

    // A capability a caller cannot do without.
    enum class Need { dmabuf_import, opaque_fd_memory, sync_fd_fence, opaque_fd_semaphore, multi_planar,
                      drm_format_caps, timestamp_query };
    // Errc::unsupported naming the first capability in `needs` the device lacks and the Dawn
    // feature behind it ("{who}: the device lacks sync_fd_fence (Dawn feature SharedFenceSyncFD)").
    Result<void> require(std::initializer_list<Need> needs, std::string_view who) const;
};

// What crossed between CPU memory and the GPU, counted by the import layer (tests and benchmarks
// read it). A "copy" is one GPU copy command; pixels are what it moved.
struct TransferStats {
    uint64_t upload_copies = 0, upload_pixels = 0;      // client memory -> texture, every path
    uint64_t upload_host_mapped = 0;  // of those, copied by the GPU out of the imported client memory
    uint64_t upload_staged = 0;       // of those, copied by the CPU into Dawn's staging memory (writeTexture)
    uint64_t readback_copies = 0, readback_pixels = 0;  // texture -> CPU memory, every path
    uint64_t readback_host_mapped = 0;  // of those, written by the GPU straight into the caller's memory
    uint64_t readback_staged = 0;       // of those, through the staging buffer and a CPU copy
    uint64_t staging_buffers_created = 0;   // read-back staging buffers (grown, never one per frame)
    uint64_t host_imports_created = 0;      // caller memory imported as a buffer (once per target / client buffer)
};

class ReadbackStaging;

struct BridgeOptions {
    AdapterSelector adapter;
    // Called from Dawn callbacks (on the thread that ticks the device).
    std::function<void(WGPUErrorType, std::string_view)> on_uncaptured_error;
    std::function<void(WGPUDeviceLostReason, std::string_view)> on_device_lost;
    std::vector<std::string> extra_device_toggles;
};

class Bridge {
public:
    static Result<std::unique_ptr<Bridge>> create(BridgeOptions options = {});
    ~Bridge();
    Bridge(const Bridge&) = delete;
    Bridge& operator=(const Bridge&) = delete;

    WGPUInstance instance() const { return instance_.get(); }
    WGPUAdapter adapter() const { return adapter_.get(); }
    WGPUDevice device() const { return device_.get(); }
    WGPUQueue queue() const { return queue_.get(); }
    const AdapterIdentity& identity() const { return identity_; }
    const Capabilities& caps() const { return caps_; }
    const WGPULimits& limits() const { return limits_; }
    bool lost() const { return *lost_; }
    // Unique per Bridge in this process, never reused: a key for caches of per-device results
    // that must not keep the device alive.
    uint64_t serial() const { return serial_; }
    std::string summary() const;  // one line: adapter, backend, driver, caps
    // Counters of the transfers done on this device (the library updates them).
    TransferStats& transfers() const { return transfers_; }
    // The persistent read-back staging buffer (bridge/readback; internal).
    ReadbackStaging& readback_staging() const { return *staging_; }

    // The render node that stands for this device towards clients (linux-dmabuf-v1's main
    // device, wlr_renderer_get_drm_fd): the adapter's own (VK_EXT_physical_device_drm). An
    // adapter without one (a software adapter, which imports dma-bufs of any device) may have a
    // render node of the machine stand in, when stand_in is true: WLGPU_DMABUF_DRM_NODE ("" turns
    // that off), else the first render node this process may open. "" when there is none; `why`
    // (optional) says which node it is.
    std::string client_render_node(bool stand_in, std::string* why = nullptr) const;
    // The render nodes that may carry timeline syncobjs for this device, in order of preference:
    // the adapter's own first, then every other render node (syncobjs are only handles for the
    // kernel's fences, so any node's syncobjs carry the clients' fences).
    std::vector<std::string> syncobj_node_candidates() const;

    // Blocks until the future completes or timeout_ns passes (then unsupported error).
    Result<void> wait(WGPUFuture future, uint64_t timeout_ns = UINT64_MAX) const;
    // Lets Dawn run callbacks that are ready (AllowProcessEvents mode).
    void process_events() const;
    // Runs fn between push/pop of a validation + out-of-memory error scope and
    // returns the first error Dawn reported, with context.
    Result<void> scoped(const std::function<void()>& fn, std::string_view what) const;
    // Waits until all submitted work is done.
    Result<void> wait_idle() const;
    // Waits for the submitted work and makes Dawn free what it deferred: a released texture's
    // memory (an imported DMA-BUF's fds) waits for the GPU to pass a later submit, which only
    // the next frame makes. Submits a tiny copy, waits, ticks. For fd accounting, shutdown.
    Result<void> release_deferred() const;

private:
    Bridge();
    wg::Instance instance_;
    wg::Adapter adapter_;
    wg::Device device_;
    wg::Queue queue_;
    AdapterIdentity identity_;
    Capabilities caps_;
    WGPULimits limits_{};
    std::shared_ptr<bool> lost_ = std::make_shared<bool>(false);
    uint64_t serial_ = 0;
    mutable TransferStats transfers_;
    std::unique_ptr<ReadbackStaging> staging_;
    struct Callbacks;
    std::unique_ptr<Callbacks> callbacks_;
    friend struct BridgeBuilder;
};

// Physical devices as the Vulkan loader sees them (used to match DRM nodes and UUIDs).
Result<std::vector<AdapterIdentity>> probe_vulkan_devices();

std::string_view to_string(WGPUBackendType b);
std::string_view to_string(WGPUAdapterType t);

}  // namespace wlgpu
