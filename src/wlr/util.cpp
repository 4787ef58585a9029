// Small helpers of the wlroots adapter: boxes, pixman regions, error text, device loss, and the
// fd limit a compositor may raise (wlgpu_raise_fd_limit).
#include "internal.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <string>

namespace wlgpu::wlr::detail {

bool memory_cannot_shrink(wlr_buffer* buffer, bool no_fd) {
    wlr_shm_attributes shm{};
    if (!wlr_buffer_get_shm(buffer, &shm)) return no_fd;
    const int seals = fcntl(shm.fd, F_GET_SEALS);
    struct stat st{};
    if (seals < 0 || !(seals & F_SEAL_SHRINK) || fstat(shm.fd, &st) != 0) return false;
    // Sealed, but a pool may be declared larger than its file: the file must hold the buffer.
    return uint64_t(st.st_size) >= uint64_t(shm.offset) + uint64_t(shm.stride) * uint64_t(shm.height);
}

bool check_lost(WlRenderer* r) {
    if (!r->lost->load() && !r->bridge->lost()) return false;
    if (!r->lost_emitted) {
        r->lost_emitted = true;
        log_error("the GPU device was lost; emitting wlr_renderer.events.lost");
        wl_signal_emit_mutable(&r->base.events.lost, nullptr);
    }
    return true;
}

Box to_box(const wlr_box& b) { return Box{b.x, b.y, b.width, b.height}; }

std::vector<Box> region_boxes(const pixman_region32_t* region) {
    int n = 0;
    const pixman_box32_t* rects = pixman_region32_rectangles(const_cast<pixman_region32_t*>(region), &n);
    std::vector<Box> out;
    out.reserve(n);
    for (int i = 0; i < n; i++)
        out.push_back(Box{rects[i].x1, rects[i].y1, rects[i].x2 - rects[i].x1, rects[i].y2 - rects[i].y1});
    return out;
}

const char* error_text(const Error& e) {
    static thread_local std::string s;
    s = std::string(errc_name(e.code)) + ": " + e.message;
    return s.c_str();
}

}  // namespace wlgpu::wlr::detail

extern "C" bool wlgpu_raise_fd_limit(void) {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        log_error("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
        return false;
    }
    if (lim.rlim_cur >= lim.rlim_max) {
        log_info("RLIMIT_NOFILE is %llu (soft = hard); each imported DMA-BUF holds about 2 fds",
                 (unsigned long long)lim.rlim_cur);
        return true;
    }
    rlim_t old = lim.rlim_cur;
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
        log_error("raising RLIMIT_NOFILE from %llu to %llu: %s", (unsigned long long)old,
                  (unsigned long long)lim.rlim_max, strerror(errno));
        return false;
    }
    log_info("raised RLIMIT_NOFILE from %llu to %llu (each imported DMA-BUF holds about 2 fds)",
             (unsigned long long)old, (unsigned long long)lim.rlim_max);
    return true;
}
