// sync::EventLoop on a wl_event_loop (header-only, so libwlgpu does not depend on
// wayland-server): for the wlroots adapter and compositors.
//   wlgpu::sync::WlEventLoop loop(wl_display_get_event_loop(display));
//   auto sync = wlgpu::sync::ExplicitSync::create(bridge, loop);
#pragma once

#include <wayland-server-core.h>

#include "wlgpu/sync.hpp"

namespace wlgpu::sync {

class WlEventLoop final : public EventLoop {
public:
    explicit WlEventLoop(wl_event_loop* loop) : loop_(loop) {}

    SourcePtr watch_fd(int fd, std::function<void()> fn) override {
        auto s = std::make_unique<WlSource>(std::move(fn));
        s->src = wl_event_loop_add_fd(loop_, fd, WL_EVENT_READABLE, &WlSource::on_fd, s.get());
        return s;
    }
    SourcePtr timer(std::chrono::nanoseconds after, std::function<void()> fn) override {
        auto s = std::make_unique<WlSource>(std::move(fn));
        s->src = wl_event_loop_add_timer(loop_, &WlSource::on_timer, s.get());
        auto ms = std::chrono::ceil<std::chrono::milliseconds>(after).count();
        if (s->src) wl_event_source_timer_update(s->src, ms > 0 ? int(ms) : 1);  // 0 would disarm
        return s;
    }

private:
    struct WlSource final : Source {
        explicit WlSource(std::function<void()> f) : fn(std::move(f)) {}
        ~WlSource() override {
            if (src) wl_event_source_remove(src);
        }
        static int on_fd(int, uint32_t, void* data) {
            auto fn = static_cast<WlSource*>(data)->fn;  // the callback may destroy the source
            fn();
            return 0;
        }
        static int on_timer(void* data) {
            auto fn = static_cast<WlSource*>(data)->fn;
            fn();
            return 0;
        }
        wl_event_source* src = nullptr;
        std::function<void()> fn;
    };
    wl_event_loop* loop_;
};

}  // namespace wlgpu::sync
