// Move-only RAII owners for webgpu.h objects, in the spirit of Dawn's C++ API.
#pragma once

#include <utility>

#include "wlgpu/webgpu/webgpu.h"

namespace wlgpu::wg {

// Owns one reference to a webgpu.h object; releases it on destruction.
template <typename T, void (*AddRef)(T), void (*Release)(T)>
class Handle {
public:
    Handle() = default;
    // Takes over a reference the caller already owns (a Create* result).
    explicit Handle(T raw) : raw_(raw) {}
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

    // Adds a reference to a borrowed object.
    static Handle share(T raw) {
        if (raw) AddRef(raw);
        return Handle(raw);
    }
    Handle clone() const { return share(raw_); }
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
WLGPU_HANDLE(QuerySet);
WLGPU_HANDLE(SharedTextureMemory);
WLGPU_HANDLE(SharedFence);
#undef WLGPU_HANDLE

// A WGPUStringView over a C string (or the empty "null" view).
inline WGPUStringView sv(const char* s) { return WGPUStringView{s, s ? WGPU_STRLEN : 0}; }

}  // namespace wlgpu::wg
