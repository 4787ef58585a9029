// Small helpers of the wlroots adapter: wlr_box and pixman regions to Box, error text, device loss.
#include "internal.hpp"

#include <algorithm>
#include <string>

namespace wlgpu::wlr::detail {

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
