// wlr_render_timer: the GPU duration of a pass, when the adapter has timestamp queries.
#include "internal.hpp"

#include <algorithm>
#include <climits>

namespace wlgpu::wlr::detail {
namespace {

int timer_get_duration_ns(wlr_render_timer* wt) {
    auto d = get_timer(wt)->timer->duration_ns();
    if (!d) return -1;
    return int(std::min<uint64_t>(*d, INT32_MAX));
}

void timer_destroy(wlr_render_timer* wt) { delete get_timer(wt); }

}  // namespace

const wlr_render_timer_impl kTimerImpl = {.get_duration_ns = timer_get_duration_ns, .destroy = timer_destroy};

wlr_render_timer* render_timer_create(wlr_renderer* wr) {
    WlRenderer* r = get_renderer(wr);
    auto timer = r->renderer->create_timer();
    if (!timer) {
        log_debug("render timers need timestamp queries, which this adapter lacks");
        return nullptr;
    }
    auto* t = new WlTimer();
    t->base.impl = &kTimerImpl;
    t->renderer = r;
    t->timer = std::move(timer);
    return &t->base;
}

}  // namespace wlgpu::wlr::detail
