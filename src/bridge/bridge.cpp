// Bridge: creates the Dawn instance, picks the adapter, creates the device with the
// features wlgpu can use, and routes error / device-lost callbacks to the caller.
#include "wlgpu/bridge.hpp"
#include "bridge/readback.hpp"
#include "common/signals_blocked.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <atomic>
#include <format>

namespace wlgpu {

using wg::sv;

struct Bridge::Callbacks {
    std::function<void(WGPUErrorType, std::string_view)> on_error;
    std::function<void(WGPUDeviceLostReason, std::string_view)> on_lost;
    std::shared_ptr<bool> lost;
};

namespace {

std::string_view view(WGPUStringView s) {
    if (!s.data) return {};
    return s.length == WGPU_STRLEN ? std::string_view(s.data) : std::string_view(s.data, s.length);
}

// Features wlgpu turns on when the adapter has them.
constexpr WGPUFeatureName kWanted[] = {
    WGPUFeatureName_SharedTextureMemoryDmaBuf,      WGPUFeatureName_SharedTextureMemoryOpaqueFD,
    WGPUFeatureName_SharedTextureMemoryVkDedicatedAllocation,
    WGPUFeatureName_SharedFenceSyncFD,              WGPUFeatureName_SharedFenceVkSemaphoreOpaqueFD,
    WGPUFeatureName_DawnMultiPlanarFormats,         WGPUFeatureName_MultiPlanarFormatExtendedUsages,
    WGPUFeatureName_MultiPlanarFormatP010,          WGPUFeatureName_MultiPlanarFormatNv16,
    WGPUFeatureName_Unorm16TextureFormats,          WGPUFeatureName_Norm16TextureFormats,
    WGPUFeatureName_DawnDrmFormatCapabilities,      WGPUFeatureName_DawnFormatCapabilities,
    WGPUFeatureName_TimestampQuery,                 WGPUFeatureName_ChromiumExperimentalTimestampQueryInsidePasses,
    WGPUFeatureName_DawnInternalUsages,             WGPUFeatureName_ImplicitDeviceSynchronization,
    WGPUFeatureName_AdapterPropertiesVk,            WGPUFeatureName_Float32Filterable,
    WGPUFeatureName_HostMappedPointer,
};

struct AdapterReply {
    WGPURequestAdapterStatus status{};
    WGPUAdapter adapter = nullptr;
    std::string message;
};

Result<wg::Adapter> request_adapter(WGPUInstance inst, WGPUPowerPreference pref, bool fallback) {
    WGPURequestAdapterOptions opts{};
    opts.featureLevel = WGPUFeatureLevel_Core;
    opts.powerPreference = pref;
    opts.forceFallbackAdapter = fallback;
    opts.backendType = WGPUBackendType_Vulkan;
    AdapterReply reply;
    WGPURequestAdapterCallbackInfo cb{};
    cb.mode = WGPUCallbackMode_WaitAnyOnly;
    cb.callback = [](WGPURequestAdapterStatus s, WGPUAdapter a, WGPUStringView m, void* u, void*) {
        auto* r = static_cast<AdapterReply*>(u);
        r->status = s;
        r->adapter = a;
        r->message = view(m);
    };
    cb.userdata1 = &reply;
    WGPUFutureWaitInfo wait{wgpuInstanceRequestAdapter(inst, &opts, cb), false};
    wgpuInstanceWaitAny(inst, 1, &wait, UINT64_MAX);
    if (reply.status != WGPURequestAdapterStatus_Success || !reply.adapter)
        return fail(Errc::no_adapter, "no Vulkan adapter: {}", reply.message);
    return wg::Adapter::Acquire(reply.adapter);
}

AdapterIdentity identify(WGPUAdapter a) {
    auto vk = wg::chained<WGPUAdapterPropertiesVk>();
    wg::AdapterInfo info;  // members freed by its destructor
    if (wgpuAdapterHasFeature(a, WGPUFeatureName_AdapterPropertiesVk)) info.nextInChain = &vk.chain;
    AdapterIdentity id;
    if (wgpuAdapterGetInfo(a, &info) == WGPUStatus_Success) {
        id.name = view(info.device);
        id.vendor = view(info.vendor);
        id.architecture = view(info.architecture);
        id.description = view(info.description);
        id.vendor_id = info.vendorID;
        id.device_id = info.deviceID;
        id.type = info.adapterType;
        id.backend = info.backendType;
        id.driver_version = vk.driverVersion;
    }
    return id;
}

// Fills in what only Vulkan knows (DRM nodes, UUIDs) by matching PCI ids and driver version.
void merge_vulkan_identity(AdapterIdentity& id, const std::vector<AdapterIdentity>& vk) {
    for (const auto& v : vk) {
        if (v.vendor_id != id.vendor_id || v.device_id != id.device_id) continue;
        if (id.driver_version && v.driver_version != id.driver_version) continue;
        id.device_uuid = v.device_uuid;
        id.driver_uuid = v.driver_uuid;
        id.primary_major = v.primary_major, id.primary_minor = v.primary_minor;
        id.render_major = v.render_major, id.render_minor = v.render_minor;
        id.render_node = v.render_node;
        if (id.name.empty()) id.name = v.name;
        return;
    }
}

Result<void> matches(const AdapterIdentity& id, const AdapterSelector& sel) {
    if (id.backend != WGPUBackendType_Vulkan)
        return fail(Errc::no_adapter, "adapter '{}' is on the {} backend, not Vulkan", id.name, to_string(id.backend));
    if (id.type == WGPUAdapterType_CPU && !sel.allow_software)
        return fail(Errc::no_adapter, "adapter '{}' is a software (CPU) adapter", id.name);
    if (sel.vendor_id && sel.vendor_id != id.vendor_id)
        return fail(Errc::no_adapter, "adapter '{}' has vendor id {:#06x}, not {:#06x}", id.name, id.vendor_id, sel.vendor_id);
    if (sel.device_id && sel.device_id != id.device_id)
        return fail(Errc::no_adapter, "adapter '{}' has device id {:#06x}, not {:#06x}", id.name, id.device_id, sel.device_id);
    if (sel.device_uuid && sel.device_uuid != id.device_uuid)
        return fail(Errc::no_adapter, "adapter '{}' has another device UUID", id.name);
    auto same_device = [&](const struct stat& st, const std::string& what) -> Result<void> {
        if (!S_ISCHR(st.st_mode)) return fail(Errc::invalid_argument, "{} is not a character device", what);
        int64_t maj = major(st.st_rdev), min = minor(st.st_rdev);
        bool hit = (maj == id.render_major && min == id.render_minor) ||
                   (maj == id.primary_major && min == id.primary_minor);
        if (!hit) return fail(Errc::no_adapter, "adapter '{}' is not {} ({}:{})", id.name, what, maj, min);
        return {};
    };
    if (!sel.drm_node.empty()) {
        struct stat st {};
        const std::string what = "DRM node " + sel.drm_node;
        if (stat(sel.drm_node.c_str(), &st) != 0) return fail(Errc::invalid_argument, "{} is not a character device", what);
        if (auto r = same_device(st, what); !r) return r;
    }
    if (sel.drm_fd >= 0) {
        struct stat st {};
        const std::string what = std::format("the device of DRM fd {}", sel.drm_fd);
        if (fstat(sel.drm_fd, &st) != 0) return fail(Errc::invalid_argument, "{}: fstat failed", what);
        if (auto r = same_device(st, what); !r) return r;
    }
    return {};
}

Capabilities capabilities(WGPUDevice d) {
    auto has = [d](WGPUFeatureName f) { return bool(wgpuDeviceHasFeature(d, f)); };
    Capabilities c;
    c.dmabuf_import = has(WGPUFeatureName_SharedTextureMemoryDmaBuf);
    c.opaque_fd_memory = has(WGPUFeatureName_SharedTextureMemoryOpaqueFD);
    c.sync_fd_fence = has(WGPUFeatureName_SharedFenceSyncFD);
    c.opaque_fd_semaphore = has(WGPUFeatureName_SharedFenceVkSemaphoreOpaqueFD);
    c.multi_planar = has(WGPUFeatureName_DawnMultiPlanarFormats);
    c.p010 = has(WGPUFeatureName_MultiPlanarFormatP010);
    c.drm_format_caps = has(WGPUFeatureName_DawnDrmFormatCapabilities);
    c.timestamp_query = has(WGPUFeatureName_TimestampQuery);
    if (has(WGPUFeatureName_HostMappedPointer)) {
        auto host = wg::chained<WGPUDawnHostMappedPointerLimits>();
        WGPULimits l{};
        l.nextInChain = &host.chain;
        if (wgpuDeviceGetLimits(d, &l) == WGPUStatus_Success && host.hostMappedPointerAlignment != 0 &&
            host.hostMappedPointerAlignment != WGPU_LIMIT_U32_UNDEFINED &&
            (host.hostMappedPointerAlignment & (host.hostMappedPointerAlignment - 1)) == 0) {
            c.host_mapped_pointer = true;
            c.host_mapped_alignment = host.hostMappedPointerAlignment;
        }
    }
    return c;
}

}  // namespace

Result<void> Capabilities::require(std::initializer_list<Need> needs, std::string_view who) const {
    for (Need n : needs) {
        struct Row {
            bool have;
            const char* name;
            const char* feature;
        };
        Row r = n == Need::dmabuf_import         ? Row{dmabuf_import, "dmabuf_import", "SharedTextureMemoryDmaBuf"}
                : n == Need::opaque_fd_memory    ? Row{opaque_fd_memory, "opaque_fd_memory", "SharedTextureMemoryOpaqueFD"}
                : n == Need::sync_fd_fence       ? Row{sync_fd_fence, "sync_fd_fence", "SharedFenceSyncFD"}
                : n == Need::opaque_fd_semaphore ? Row{opaque_fd_semaphore, "opaque_fd_semaphore", "SharedFenceVkSemaphoreOpaqueFD"}
                : n == Need::multi_planar        ? Row{multi_planar, "multi_planar", "DawnMultiPlanarFormats"}
                : n == Need::drm_format_caps     ? Row{drm_format_caps, "drm_format_caps", "DawnDrmFormatCapabilities"}
                                                 : Row{timestamp_query, "timestamp_query", "TimestampQuery"};
        if (!r.have) return fail(Errc::unsupported, "{}: the device lacks {} (Dawn feature {})", who, r.name, r.feature);
    }
    return {};
}

struct BridgeBuilder {
    static Result<std::unique_ptr<Bridge>> build(BridgeOptions& o);
    static Result<void> pick_adapter(Bridge& b, const AdapterSelector& sel);
    static Result<void> create_device(Bridge& b, BridgeOptions& o);
};

Result<void> BridgeBuilder::pick_adapter(Bridge& b, const AdapterSelector& sel) {
    auto vk = probe_vulkan_devices();
    if (!vk) return std::unexpected(vk.error());
    if (vk->empty()) return fail(Errc::no_adapter, "the Vulkan loader found no physical device (no ICD installed?)");
    // Dawn's C API cannot enumerate: each request gives the best adapter for its
    // options, so ask with each preference and keep the first that matches.
    std::string why;
    const std::pair<WGPUPowerPreference, bool> tries[] = {
        {WGPUPowerPreference_HighPerformance, false},
        {WGPUPowerPreference_LowPower, false},
        {WGPUPowerPreference_Undefined, true},
    };
    for (auto [pref, fallback] : tries) {
        auto a = request_adapter(b.instance_.get(), pref, fallback);
        if (!a) {
            why += std::format("\n  {}", a.error().message);
            continue;
        }
        AdapterIdentity id = identify(a->get());
        merge_vulkan_identity(id, *vk);
        if (auto ok = matches(id, sel); !ok) {
            why += std::format("\n  {}", ok.error().message);
            continue;
        }
        b.adapter_ = std::move(*a);
        b.identity_ = std::move(id);
        return {};
    }
    return fail(Errc::no_adapter, "no Vulkan adapter matches the request:{}", why);
}

Result<void> BridgeBuilder::create_device(Bridge& b, BridgeOptions& o) {
    std::vector<WGPUFeatureName> features;
    for (auto f : kWanted)
        if (wgpuAdapterHasFeature(b.adapter(), f)) features.push_back(f);
    WGPULimits limits{};
    wgpuAdapterGetLimits(b.adapter(), &limits);

    std::vector<const char*> toggles{"allow_unsafe_apis"};
    for (auto& t : o.extra_device_toggles) toggles.push_back(t.c_str());
    auto tog = wg::chained<WGPUDawnTogglesDescriptor>();
    tog.enabledToggleCount = toggles.size();
    tog.enabledToggles = toggles.data();
    // Dawn quantizes timestamps (coarse steps) against timing attacks from web content; a
    // compositor's render timer needs them as the GPU gives them (a small pass on the H200 read 0).
    const char* disabled[] = {"timestamp_quantization"};
    tog.disabledToggleCount = 1;
    tog.disabledToggles = disabled;

    b.callbacks_ = std::make_unique<Bridge::Callbacks>(
        Bridge::Callbacks{std::move(o.on_uncaptured_error), std::move(o.on_device_lost), b.lost_});
    WGPUDeviceDescriptor desc{};
    desc.nextInChain = &tog.chain;
    desc.label = sv("wlgpu");
    desc.requiredFeatureCount = features.size();
    desc.requiredFeatures = features.data();
    desc.requiredLimits = &limits;
    desc.deviceLostCallbackInfo.mode = WGPUCallbackMode_AllowSpontaneous;
    desc.deviceLostCallbackInfo.callback = [](WGPUDevice const*, WGPUDeviceLostReason r, WGPUStringView m, void* u, void*) {
        auto* cb = static_cast<Bridge::Callbacks*>(u);
        *cb->lost = true;
        if (cb->on_lost && r != WGPUDeviceLostReason_CallbackCancelled) cb->on_lost(r, view(m));
    };
    desc.deviceLostCallbackInfo.userdata1 = b.callbacks_.get();
    desc.uncapturedErrorCallbackInfo.callback = [](WGPUDevice const*, WGPUErrorType t, WGPUStringView m, void* u, void*) {
        auto* cb = static_cast<Bridge::Callbacks*>(u);
        if (cb->on_error) cb->on_error(t, view(m));
    };
    desc.uncapturedErrorCallbackInfo.userdata1 = b.callbacks_.get();

    struct Reply {
        WGPURequestDeviceStatus status{};
        WGPUDevice device = nullptr;
        std::string message;
    } reply;
    WGPURequestDeviceCallbackInfo cb{};
    cb.mode = WGPUCallbackMode_WaitAnyOnly;
    cb.callback = [](WGPURequestDeviceStatus s, WGPUDevice d, WGPUStringView m, void* u, void*) {
        auto* r = static_cast<Reply*>(u);
        r->status = s;
        r->device = d;
        r->message = view(m);
    };
    cb.userdata1 = &reply;
    WGPUFutureWaitInfo wait{wgpuAdapterRequestDevice(b.adapter(), &desc, cb), false};
    wgpuInstanceWaitAny(b.instance(), 1, &wait, UINT64_MAX);
    if (reply.status != WGPURequestDeviceStatus_Success || !reply.device)
        return fail(Errc::no_adapter, "creating the device on '{}' failed: {}", b.identity_.name, reply.message);
    b.device_ = wg::Device::Acquire(reply.device);
    b.queue_ = wg::Queue::Acquire(wgpuDeviceGetQueue(b.device()));
    b.limits_ = WGPULimits{};
    wgpuDeviceGetLimits(b.device(), &b.limits_);
    b.caps_ = capabilities(b.device());
    return {};
}

Result<std::unique_ptr<Bridge>> BridgeBuilder::build(BridgeOptions& o) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    std::unique_ptr<Bridge> b(new Bridge());
    const char* inst_toggles[] = {"allow_unsafe_apis"};
    auto tog = wg::chained<WGPUDawnTogglesDescriptor>();
    tog.enabledToggleCount = 1;
    tog.enabledToggles = inst_toggles;
    WGPUInstanceDescriptor idesc{};
    idesc.nextInChain = &tog.chain;
    idesc.capabilities.timedWaitAnyEnable = true;
    idesc.capabilities.timedWaitAnyMaxCount = 64;
    b->instance_ = wg::Instance::Acquire(wgpuCreateInstance(&idesc));
    if (!b->instance_) return fail(Errc::no_adapter, "wgpuCreateInstance failed");
    if (auto r = pick_adapter(*b, o.adapter); !r) return std::unexpected(r.error());
    if (auto r = create_device(*b, o); !r) return std::unexpected(r.error());
    return b;
}

Result<std::unique_ptr<Bridge>> Bridge::create(BridgeOptions options) { return BridgeBuilder::build(options); }

Bridge::Bridge() : staging_(std::make_unique<ReadbackStaging>()) {
    static std::atomic<uint64_t> next{1};
    serial_ = next++;
}

Bridge::~Bridge() {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    staging_.reset();
    queue_.reset();
    if (device_) {
        // Let callbacks that are still pending fire while the state they use is alive.
        wgpuDeviceDestroy(device_.get());
        wgpuInstanceProcessEvents(instance_.get());
    }
    device_.reset();
    adapter_.reset();
    instance_.reset();
}

Result<void> Bridge::wait(WGPUFuture future, uint64_t timeout_ns) const {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    WGPUFutureWaitInfo w{future, false};
    WGPUWaitStatus s = wgpuInstanceWaitAny(instance(), 1, &w, timeout_ns);
    if (s == WGPUWaitStatus_TimedOut) return fail(Errc::gpu_error, "timed out after {} ns", timeout_ns);
    if (s != WGPUWaitStatus_Success) return fail(Errc::gpu_error, "wgpuInstanceWaitAny failed ({})", int(s));
    return {};
}

void Bridge::process_events() const {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    wgpuInstanceProcessEvents(instance());
}

Result<void> Bridge::scoped(const std::function<void()>& fn, std::string_view what) const {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    wgpuDevicePushErrorScope(device(), WGPUErrorFilter_OutOfMemory);
    wgpuDevicePushErrorScope(device(), WGPUErrorFilter_Validation);
    fn();
    std::string messages[2];
    WGPUErrorType types[2]{};
    for (int i = 0; i < 2; i++) {
        WGPUPopErrorScopeCallbackInfo cb{};
        cb.mode = WGPUCallbackMode_WaitAnyOnly;
        cb.callback = [](WGPUPopErrorScopeStatus, WGPUErrorType t, WGPUStringView m, void* u1, void* u2) {
            *static_cast<WGPUErrorType*>(u1) = t;
            *static_cast<std::string*>(u2) = view(m);
        };
        cb.userdata1 = &types[i];
        cb.userdata2 = &messages[i];
        if (auto r = wait(wgpuDevicePopErrorScope(device(), cb)); !r) return std::unexpected(r.error());
    }
    for (int i = 0; i < 2; i++)
        if (types[i] != WGPUErrorType_NoError)
            return fail(lost() ? Errc::device_lost : Errc::gpu_error, "{}: {}", what, messages[i]);
    return {};
}

Result<void> Bridge::wait_idle() const {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    WGPUQueueWorkDoneCallbackInfo cb{};
    cb.mode = WGPUCallbackMode_WaitAnyOnly;
    WGPUQueueWorkDoneStatus status{};
    cb.callback = [](WGPUQueueWorkDoneStatus s, WGPUStringView, void* u, void*) {
        *static_cast<WGPUQueueWorkDoneStatus*>(u) = s;
    };
    cb.userdata1 = &status;
    if (auto r = wait(wgpuQueueOnSubmittedWorkDone(queue(), cb)); !r) return r;
    if (status != WGPUQueueWorkDoneStatus_Success)
        return fail(lost() ? Errc::device_lost : Errc::gpu_error, "queue work failed (status {})", int(status));
    return {};
}

Result<void> Bridge::release_deferred() const {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    // Dawn enqueues a released object for deletion at the serial of the next submit and skips
    // submits with nothing recorded; a 4-byte buffer write records a copy.
    WGPUBufferDescriptor bd{};
    bd.size = 4;
    bd.usage = WGPUBufferUsage_CopyDst;
    wg::Buffer buf = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(device(), &bd));
    const uint32_t zero = 0;
    wgpuQueueWriteBuffer(queue(), buf.get(), 0, &zero, sizeof zero);
    wg::CommandEncoder enc = wg::CommandEncoder::Acquire(wgpuDeviceCreateCommandEncoder(device(), nullptr));
    wg::CommandBuffer cmd = wg::CommandBuffer::Acquire(wgpuCommandEncoderFinish(enc.get(), nullptr));
    WGPUCommandBuffer c = cmd.get();
    wgpuQueueSubmit(queue(), 1, &c);
    for (int i = 0; i < 2; i++) {
        if (auto r = wait_idle(); !r) return r;
        process_events();
    }
    return {};
}

std::string Bridge::summary() const {
    const auto& i = identity_;
    return std::format("{} [{} {}, {:04x}:{:04x}, driver {:#x}{}] dmabuf={} syncfd={} opaquefd={} "
                       "multiplanar={} p010={} timestamps={} hostmapped={}",
                       i.name, to_string(i.backend), to_string(i.type), i.vendor_id, i.device_id,
                       i.driver_version, i.render_node.empty() ? "" : ", " + i.render_node,
                       caps_.dmabuf_import, caps_.sync_fd_fence, caps_.opaque_fd_memory,
                       caps_.multi_planar, caps_.p010, caps_.timestamp_query,
                       caps_.host_mapped_pointer ? caps_.host_mapped_alignment : 0);
}

std::string_view to_string(WGPUBackendType b) {
    switch (b) {
        case WGPUBackendType_Null: return "Null";
        case WGPUBackendType_Vulkan: return "Vulkan";
        case WGPUBackendType_OpenGL: return "OpenGL";
        case WGPUBackendType_OpenGLES: return "OpenGLES";
        case WGPUBackendType_WebGPU: return "WebGPU";
        default: return "other";
    }
}

std::string_view to_string(WGPUAdapterType t) {
    switch (t) {
        case WGPUAdapterType_DiscreteGPU: return "discrete";
        case WGPUAdapterType_IntegratedGPU: return "integrated";
        case WGPUAdapterType_CPU: return "cpu";
        default: return "unknown";
    }
}

}  // namespace wlgpu
