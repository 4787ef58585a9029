// Move-only RAII owners for webgpu.h objects, named as in Dawn's C++ API: the constructor adds a
// reference (wg::Texture(raw) borrows), Acquire() takes over one (wg::Texture::Acquire(wgpuDeviceCreateTexture(...))).
#pragma once

#include <utility>

#include "wlgpu/webgpu/webgpu.h"

namespace wlgpu::wg {

// Owns one reference to a webgpu.h object; releases it on destruction.
template <typename T, void (*AddRef)(T), void (*Release)(T)>
class Handle {
public:
    Handle() = default;
    // Adds a reference to `raw`, as Dawn's C++ constructors do: the caller keeps its own.
    explicit Handle(T raw) : raw_(raw) {
        if (raw_) AddRef(raw_);
    }
    // Takes over a reference the caller owns (a Create*/Get* result), as Dawn's Acquire().
    [[nodiscard]] static Handle Acquire(T raw) {
        Handle h;
        h.raw_ = raw;
        return h;
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    Handle(Handle&& o) noexcept : raw_(std::exchange(o.raw_, nullptr)) {}
    Handle& operator=(Handle&& o) noexcept {
        if (this != &o) {
            reset();
            raw_ = std::exchange(o.raw_, nullptr);
        }
        return *this;
    }
    ~Handle() { reset(); }

    Handle clone() const { return Handle(raw_); }  // another reference to the same object
    T get() const { return raw_; }
    T release() { return std::exchange(raw_, nullptr); }
    explicit operator bool() const { return raw_ != nullptr; }
    void reset() {
        if (raw_) Release(std::exchange(raw_, nullptr));
    }

private:
    T raw_ = nullptr;
};

#define WLGPU_HANDLE(Name) using Name = Handle<WGPU##Name, wgpu##Name##AddRef, wgpu##Name##Release>
WLGPU_HANDLE(Instance);
WLGPU_HANDLE(Adapter);
WLGPU_HANDLE(Device);
WLGPU_HANDLE(Queue);
WLGPU_HANDLE(Buffer);
WLGPU_HANDLE(Texture);
WLGPU_HANDLE(TextureView);
WLGPU_HANDLE(Sampler);
WLGPU_HANDLE(BindGroup);
WLGPU_HANDLE(BindGroupLayout);
WLGPU_HANDLE(PipelineLayout);
WLGPU_HANDLE(ShaderModule);
WLGPU_HANDLE(RenderPipeline);
WLGPU_HANDLE(CommandEncoder);
WLGPU_HANDLE(CommandBuffer);
WLGPU_HANDLE(RenderPassEncoder);
WLGPU_HANDLE(RenderBundleEncoder);
WLGPU_HANDLE(RenderBundle);
WLGPU_HANDLE(QuerySet);
WLGPU_HANDLE(ComputePipeline);
WLGPU_HANDLE(ComputePassEncoder);
WLGPU_HANDLE(SharedTextureMemory);
WLGPU_HANDLE(SharedFence);
#undef WLGPU_HANDLE

// Chained structs: the sType of each, written in this one place. wg::chained<WGPUShaderSourceWGSL>()
// is a zeroed struct with its chain.sType set (Dawn's C++ structs do the same in their constructors).
template <typename T>
struct STypeOf;  // no entry: not a chained struct wlgpu uses (a compile error, not a wrong sType)
#define WLGPU_STYPE(Name) \
    template <>           \
    struct STypeOf<WGPU##Name> { static constexpr WGPUSType value = WGPUSType_##Name; }
WLGPU_STYPE(ShaderSourceWGSL);
WLGPU_STYPE(AdapterPropertiesVk);
WLGPU_STYPE(DawnTogglesDescriptor);
WLGPU_STYPE(DawnDrmFormatCapabilities);
WLGPU_STYPE(SharedTextureMemoryDmaBufDescriptor);
WLGPU_STYPE(SharedTextureMemoryOpaqueFDDescriptor);
WLGPU_STYPE(SharedTextureMemoryVkImageLayoutBeginState);
WLGPU_STYPE(SharedTextureMemoryVkImageLayoutEndState);
WLGPU_STYPE(SharedFenceSyncFDDescriptor);
WLGPU_STYPE(SharedFenceSyncFDExportInfo);
WLGPU_STYPE(SharedFenceVkSemaphoreOpaqueFDDescriptor);
WLGPU_STYPE(SharedFenceVkSemaphoreOpaqueFDExportInfo);
WLGPU_STYPE(BufferHostMappedPointer);
WLGPU_STYPE(DawnHostMappedPointerLimits);
#undef WLGPU_STYPE

template <typename T>
T chained() {
    T t{};
    t.chain.sType = STypeOf<T>::value;
    return t;
}

// Out-structs whose members Dawn allocates: the destructor calls their FreeMembers, as Dawn's
// C++ API does. Use it where the C struct goes (it derives from it); chained ones get their sType.
template <typename T, void (*FreeMembers)(T)>
class Out : public T {
public:
    Out() : T{} {
        if constexpr (requires { STypeOf<T>::value; }) this->chain.sType = STypeOf<T>::value;
    }
    Out(const Out&) = delete;
    Out& operator=(const Out&) = delete;
    ~Out() { FreeMembers(*this); }
};
using AdapterInfo = Out<WGPUAdapterInfo, wgpuAdapterInfoFreeMembers>;
using SupportedFeatures = Out<WGPUSupportedFeatures, wgpuSupportedFeaturesFreeMembers>;
using DawnDrmFormatCapabilities = Out<WGPUDawnDrmFormatCapabilities, wgpuDawnDrmFormatCapabilitiesFreeMembers>;
using SharedTextureMemoryEndAccessState =
    Out<WGPUSharedTextureMemoryEndAccessState, wgpuSharedTextureMemoryEndAccessStateFreeMembers>;

// A WGPUStringView over a C string (or the empty "null" view).
inline WGPUStringView sv(const char* s) { return WGPUStringView{s, s ? WGPU_STRLEN : 0}; }

}  // namespace wlgpu::wg
