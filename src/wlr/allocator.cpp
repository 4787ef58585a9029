// wlgpu_allocator_autocreate (wlgpu/wlr.h): the output-buffer allocator for a wlgpu renderer.
// wlroots' own choice first, then what works where it does not: on a DRM node without a GPU
// driver (vgem, or virtio_gpu without 3D; wlgpu on lavapipe names one for linux-dmabuf-v1)
// wlroots picks gbm, whose gbm_bo_create fails (Mesa's kms_swrast makes dumb buffers, which
// render nodes refuse); then udmabuf (DMA-BUF buffers the renderer draws into directly), then
// shm. Each candidate must allocate a 64x64 XRGB8888 buffer before it is taken.
#include "internal.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

extern "C" {
// wlroots 0.19 and 0.20 export these allocators but install no header for them.
struct wlr_allocator* wlr_udmabuf_allocator_create(void);
struct wlr_allocator* wlr_shm_allocator_create(void);
}

namespace wlgpu::wlr::detail {
namespace {

using AutocreateFn = wlr_allocator* (*)(wlr_backend*, wlr_renderer*);

// wlroots' own wlr_allocator_autocreate, looked up in the library that defines
// wlr_allocator_create_buffer: a preloaded wlr_allocator_autocreate (libwlgpu-autocreate) that
// calls this function must not be called back.
AutocreateFn wlroots_autocreate() {
    Dl_info info{};
    if (!dladdr(reinterpret_cast<void*>(&wlr_allocator_create_buffer), &info) || !info.dli_fname) return nullptr;
    void* lib = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (!lib) return nullptr;
    auto fn = reinterpret_cast<AutocreateFn>(dlsym(lib, "wlr_allocator_autocreate"));
    dlclose(lib);  // RTLD_NOLOAD: only drops the reference just taken
    return fn;
}

// Whether a can make an output buffer (64x64 XRGB8888, implicit or LINEAR modifier).
bool allocator_works(wlr_allocator* a) {
    wlr_drm_format_set set{};
    wlr_drm_format_set_add(&set, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID);
    wlr_drm_format_set_add(&set, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
    wlr_buffer* b = wlr_allocator_create_buffer(a, 64, 64, wlr_drm_format_set_get(&set, DRM_FORMAT_XRGB8888));
    wlr_drm_format_set_finish(&set);
    if (!b) return false;
    wlr_buffer_drop(b);
    return true;
}

const char* caps_name(uint32_t caps) {
    if (caps & WLR_BUFFER_CAP_DMABUF) return (caps & WLR_BUFFER_CAP_SHM) ? "DMA-BUF+SHM" : "DMA-BUF";
    if (caps & WLR_BUFFER_CAP_DATA_PTR) return "memory";
    return "SHM";
}

// a if it allocates, else nullptr (a destroyed).
wlr_allocator* keep_if_works(wlr_allocator* a) {
    if (a && allocator_works(a)) return a;
    if (a) wlr_allocator_destroy(a);
    return nullptr;
}

}  // namespace

wlr_allocator* allocator_autocreate(wlr_backend* backend, wlr_renderer* renderer) {
    std::string_view want = getenv("WLGPU_ALLOCATOR") ? getenv("WLGPU_ALLOCATOR") : "";
    if (want.empty()) want = "auto";
    if (want != "auto" && want != "udmabuf" && want != "shm") {
        log_error("WLGPU_ALLOCATOR=%.*s: unknown (auto, udmabuf or shm)", int(want.size()), want.data());
        return nullptr;
    }
    uint32_t caps = renderer->render_buffer_caps;
    if (want == "auto") {
        AutocreateFn autocreate = wlroots_autocreate();
        if (!autocreate) {
            log_error("allocator: cannot find wlroots' wlr_allocator_autocreate");
        } else if (wlr_allocator* a = keep_if_works(autocreate(backend, renderer))) {
            log_info("allocator: wlroots' choice, %s buffers", caps_name(a->buffer_caps));
            return a;
        } else {
            log_info("allocator: wlroots' choice cannot allocate output buffers here (gbm on a node without "
                     "a GPU driver); trying udmabuf");
        }
    }
    if ((want == "auto" || want == "udmabuf") && (caps & WLR_BUFFER_CAP_DMABUF)) {
        if (wlr_allocator* a = keep_if_works(wlr_udmabuf_allocator_create())) {
            log_info("allocator: udmabuf, DMA-BUF output buffers (rendered into directly)");
            return a;
        }
    }
    if ((want == "auto" || want == "shm") && (caps & WLR_BUFFER_CAP_DATA_PTR)) {
        if (wlr_allocator* a = wlr_shm_allocator_create()) {
            log_info("allocator: shm, memory output buffers");
            return a;
        }
    }
    log_error("allocator: none of wlroots' choice, udmabuf, shm can allocate output buffers (WLGPU_ALLOCATOR=%.*s)",
              int(want.size()), want.data());
    return nullptr;
}

}  // namespace wlgpu::wlr::detail

extern "C" struct wlr_allocator* wlgpu_allocator_autocreate(struct wlr_backend* backend,
                                                            struct wlr_renderer* renderer) {
    if (!renderer) return nullptr;
    return wlgpu::wlr::detail::allocator_autocreate(backend, renderer);
}
