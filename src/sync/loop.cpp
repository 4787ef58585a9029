// PollLoop: a small poll(2) event loop with the EventLoop interface (tests, benchmarks).
#include <poll.h>

#include <algorithm>
#include <map>
#include <vector>

#include "wlgpu/sync.hpp"

namespace wlgpu::sync {

using Clock = std::chrono::steady_clock;

struct PollLoop::Impl {
    struct Entry {
        int fd = -1;  // -1: timer
        Clock::time_point due{};
        std::function<void()> fn;
        bool live = true;
    };
    uint64_t next_id = 1;
    std::map<uint64_t, std::shared_ptr<Entry>> entries;
};

namespace {
class PollSource final : public EventLoop::Source {
public:
    PollSource(PollLoop::Impl* impl, uint64_t id) : impl_(impl), id_(id) {}
    ~PollSource() override {
        auto it = impl_->entries.find(id_);
        if (it != impl_->entries.end()) {
            it->second->live = false;
            impl_->entries.erase(it);
        }
    }

private:
    PollLoop::Impl* impl_;
    uint64_t id_;
};
}  // namespace

PollLoop::PollLoop() : impl_(std::make_unique<Impl>()) {}
PollLoop::~PollLoop() = default;

EventLoop::SourcePtr PollLoop::watch_fd(int fd, std::function<void()> fn) {
    auto e = std::make_shared<Impl::Entry>();
    e->fd = fd;
    e->fn = std::move(fn);
    uint64_t id = impl_->next_id++;
    impl_->entries.emplace(id, e);
    return std::make_unique<PollSource>(impl_.get(), id);
}

EventLoop::SourcePtr PollLoop::timer(std::chrono::nanoseconds after, std::function<void()> fn) {
    auto e = std::make_shared<Impl::Entry>();
    e->due = Clock::now() + after;
    e->fn = std::move(fn);
    uint64_t id = impl_->next_id++;
    impl_->entries.emplace(id, e);
    return std::make_unique<PollSource>(impl_.get(), id);
}

int PollLoop::dispatch(std::chrono::milliseconds timeout) {
    std::vector<pollfd> fds;
    std::vector<std::shared_ptr<Impl::Entry>> fd_entries, timers;
    auto now = Clock::now();
    auto deadline = now + timeout;
    for (auto& [id, e] : impl_->entries) {
        if (e->fd >= 0) {
            fds.push_back({e->fd, POLLIN, 0});
            fd_entries.push_back(e);
        } else {
            timers.push_back(e);
            deadline = std::min(deadline, e->due);
        }
    }
    int wait_ms = int(std::max<int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count()));
    int n = poll(fds.data(), fds.size(), wait_ms);
    std::vector<std::shared_ptr<Impl::Entry>> due;
    if (n > 0)
        for (size_t i = 0; i < fds.size(); i++)
            if (fds[i].revents) due.push_back(fd_entries[i]);
    now = Clock::now();
    for (auto& t : timers)
        if (t->due <= now) due.push_back(t);
    int ran = 0;
    for (auto& e : due) {
        if (!e->live) continue;  // removed by an earlier callback
        if (e->fd < 0) {         // one-shot timer: disarm before running
            e->live = false;
            for (auto it = impl_->entries.begin(); it != impl_->entries.end(); ++it)
                if (it->second == e) {
                    impl_->entries.erase(it);
                    break;
                }
        }
        auto t0 = Clock::now();
        auto fn = e->fn;  // the callback may destroy its own source
        fn();
        auto d = Clock::now() - t0;
        busy_total_ += d;
        busy_max_ = std::max<std::chrono::nanoseconds>(busy_max_, d);
        ran++;
    }
    return ran;
}

}  // namespace wlgpu::sync
