// Explicit sync (linux-drm-syncobj-v1): DRM timeline syncobjs, GPU-side acquire waits
// through Dawn SharedFences, a CPU-poll fallback driven by the compositor's event loop,
// and release points signalled from the GPU's end-of-access fence. See docs/sync.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wlgpu/error.hpp"
#include "wlgpu/render.hpp"  // SyncPoint
#include "wlgpu/sync_file.hpp"  // Fd, import_fence, export_fence
#include "wlgpu/webgpu/handle.hpp"

namespace wlgpu {
class Bridge;
class SharedAccess;
}  // namespace wlgpu

namespace wlgpu::sync {

// True when the sync_file (or any pollable fence fd) has signalled (poll POLLIN, no wait).
bool fence_signalled(int fd);

// Implicit sync: the fences a reader of the dma-buf must wait for (its writers' fences) as a
// pollable fd (POLLIN once they signalled), or an empty Fd when they have all signalled.
// Never blocks. dmabuf_fd is borrowed.
Result<Fd> dmabuf_write_fences(int dmabuf_fd);

// A DRM timeline syncobj on a DRM node (drm_fd is borrowed: keep it open while this lives).
// All calls are non-blocking except wait() with a timeout.
class Timeline {
public:
    // A new syncobj (no point signalled yet).
    static Result<Timeline> create(int drm_fd);
    // Imports a syncobj fd (from a client: wp_linux_drm_syncobj_manager_v1.import_timeline);
    // syncobj_fd is borrowed (the caller closes it).
    static Result<Timeline> import(int drm_fd, int syncobj_fd);
    // Wraps an existing handle on drm_fd; takes ownership of the handle unless borrowed.
    static Timeline adopt(int drm_fd, uint32_t handle, bool borrowed = false);

    Timeline(Timeline&& o) noexcept;
    Timeline& operator=(Timeline&& o) noexcept;
    Timeline(const Timeline&) = delete;
    Timeline& operator=(const Timeline&) = delete;
    ~Timeline();

    int drm_fd() const { return drm_fd_; }
    uint32_t handle() const { return handle_; }

    // A syncobj fd for another process (DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD).
    Result<Fd> export_fd() const;
    // The fence of `point` as a sync_file (transfer to a temporary binary syncobj, export).
    // Fails with Errc::invalid_argument when the point has not materialised yet.
    Result<Fd> export_sync_file(uint64_t point) const;
    // Attaches a sync_file's fence at `point` (import to a binary syncobj, transfer);
    // sync_file is borrowed. A negative fd signals the point now.
    Result<void> import_sync_file(uint64_t point, int sync_file) const;
    // The highest signalled point (DRM_IOCTL_SYNCOBJ_QUERY).
    Result<uint64_t> query() const;
    // Signals `point` from the CPU.
    Result<void> signal(uint64_t point) const;
    // Waits up to timeout for the point to signal (or, with available, to materialise).
    // Returns false on timeout. timeout 0 = test only.
    Result<bool> wait(uint64_t point, std::chrono::nanoseconds timeout, bool available = false) const;
    Result<bool> materialised(uint64_t point) const { return wait(point, {}, true); }
    Result<bool> signalled(uint64_t point) const { return wait(point, {}, false); }
    // An eventfd that becomes readable when the point signals (or materialises, with
    // available): DRM_IOCTL_SYNCOBJ_EVENTFD (Linux >= 6.6). For event loops.
    Result<Fd> eventfd(uint64_t point, bool available) const;

private:
    Timeline(int drm_fd, uint32_t handle, bool owned) : drm_fd_(drm_fd), handle_(handle), owned_(owned) {}
    void destroy();
    int drm_fd_ = -1;
    uint32_t handle_ = 0;
    bool owned_ = false;
};

// True when DRM_IOCTL_SYNCOBJ_EVENTFD works on drm_fd (kernel >= 6.6 and timeline syncobjs).
bool eventfd_supported(int drm_fd);

// The compositor's event loop, as the sync code needs it. Callbacks run on the loop's
// thread; destroying a Source removes it (and no callback runs after that).
class EventLoop {
public:
    class Source {
    public:
        virtual ~Source() = default;
    };
    using SourcePtr = std::unique_ptr<Source>;
    virtual ~EventLoop() = default;
    // Calls fn each time fd is readable (level-triggered POLLIN, or an error on fd).
    virtual SourcePtr watch_fd(int fd, std::function<void()> fn) = 0;
    // Calls fn once, after `after`.
    virtual SourcePtr timer(std::chrono::nanoseconds after, std::function<void()> fn) = 0;
};

// A poll(2)-based EventLoop for tests, benchmarks and programs without a wl_event_loop
// (the wlroots adapter uses wlgpu/sync_wl.hpp instead). Not thread-safe.
class PollLoop final : public EventLoop {
public:
    PollLoop();
    ~PollLoop() override;
    SourcePtr watch_fd(int fd, std::function<void()> fn) override;
    SourcePtr timer(std::chrono::nanoseconds after, std::function<void()> fn) override;
    // Waits up to timeout for fds/timers and runs the callbacks that are due. Returns how
    // many ran.
    int dispatch(std::chrono::milliseconds timeout);
    // Time spent inside callbacks (the "compositor thread busy" time), total and longest.
    std::chrono::nanoseconds busy_total() const { return busy_total_; }
    std::chrono::nanoseconds busy_max() const { return busy_max_; }
    void reset_busy() { busy_total_ = busy_max_ = {}; }

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
    std::chrono::nanoseconds busy_total_{}, busy_max_{};
};

// How acquire fences are waited for.
enum class AcquirePath {
    gpu,  // sync_file -> SharedFence -> BeginAccess: the GPU waits, the CPU never does
    cpu,  // the event loop waits for the sync_file (POLLIN) before the frame is rendered
};
std::string_view to_string(AcquirePath p);

// How release points are signalled.
enum class ReleaseMode {
    automatic,  // fence where the texture can export one, else work_done
    fence,      // the end-of-access sync_file is imported into the release point
    work_done,  // a worker thread waits for the queue's work-done and signals the point
};

struct Detection {
    AcquirePath path = AcquirePath::gpu;
    std::string method;           // "probe", "driver", "forced", "no SyncFD fences"
    std::string detail;           // one line: what was measured / why
    double probe_submit_ms = -1;  // probe: time the thread spent in submit+end (fence held 150 ms)
};

struct SyncOptions {
    // Unset: WLGPU_SYNC_PATH (gpu|cpu) if set, else detect.
    std::optional<AcquirePath> force_path;
    // Measure at start-up with an unsignalled vgem fence and a udmabuf texture when the
    // kernel has both (the test bed does); else decide by driver identity.
    bool probe = true;
    // An acquire whose point has not materialised/signalled after this long is dropped:
    // the surface keeps its previous buffer and a log line names the client.
    std::chrono::milliseconds acquire_timeout{2000};
    ReleaseMode release = ReleaseMode::automatic;
    std::function<void(std::string_view)> log;  // default: stderr with a "wlgpu sync:" prefix
};

// Counters for logs and --stats.
struct SyncStats {
    uint64_t acquires = 0;           // acquire() calls
    uint64_t gpu_waits = 0;          // handed to the GPU as a SharedFence
    uint64_t cpu_waits = 0;          // waited for in the event loop (fallback path)
    uint64_t already_signalled = 0;  // signalled when checked: no wait at all
    uint64_t materialise_waits = 0;  // the point had not materialised: waited for submit
    uint64_t timeouts = 0;           // never-signalled acquires dropped by the policy
    uint64_t errors = 0;             // bad timelines/points (client errors)
    uint64_t cancelled = 0;          // acquires dropped by the caller (surface gone)
    uint64_t releases = 0;
    uint64_t releases_fence = 0;     // via the end-of-access sync_file
    uint64_t releases_work_done = 0; // via the worker thread
    uint64_t releases_pending = 0;   // worker: not signalled yet
};

struct AcquireResult {
    enum class Status { ready, timed_out, error };
    Status status = Status::ready;
    AcquirePath path = AcquirePath::gpu;
    // gpu path: the sync_file to hand to SharedAccess::add_wait_sync_file (empty when the
    // fence had already signalled). cpu path: always empty (the fence has signalled).
    Fd fence;
    std::string message;  // timed_out / error: the reason (with the client's name)
    std::chrono::steady_clock::time_point signalled_at{};  // cpu path: when the loop saw it
};

// One pending acquire; destroying it cancels it (the callback never runs).
class Acquire {
public:
    virtual ~Acquire() = default;
};

class ExplicitSync {
public:
    static Result<std::unique_ptr<ExplicitSync>> create(Bridge& bridge, EventLoop& loop, SyncOptions options = {});
    ~ExplicitSync();

    const Detection& detection() const;
    AcquirePath path() const { return detection().path; }

    // Waits (in the event loop, never blocking) for `point` of `timeline` to be usable and
    // calls done exactly once on the loop thread: ready (gpu: with the fence to wait for on
    // the GPU; cpu: after the fence signalled), timed_out, or error. `who` names the client
    // and surface in log lines. The timeline is kept alive until then.
    Result<std::unique_ptr<Acquire>> acquire(std::shared_ptr<const Timeline> timeline, uint64_t point,
                                             std::string who, std::function<void(AcquireResult)> done);
    // Applies a ready AcquireResult to the texture the next frame samples.
    Result<void> apply(AcquireResult& ready, SharedAccess& access);

    // Signals `point` of `timeline` when the frame whose completion is `done` (what
    // Frame::submit() returned) is done: a fence is imported into the point, signalled signals
    // it now, work_done has a worker thread wait for the queue's work-done (also the choice
    // with ReleaseMode::work_done; ReleaseMode::fence makes work_done an error). Never waits on
    // the calling thread. Returns how the point will be signalled (fence or work_done).
    Result<ReleaseMode> release(SyncPoint done, std::shared_ptr<const Timeline> timeline, uint64_t point);
    // The same for GPU work outside a Frame: after access.end() ran, its end-of-access fence
    // (access may be null: work_done).
    Result<void> release(SharedAccess* access, std::shared_ptr<const Timeline> timeline, uint64_t point);

    SyncStats stats() const;
    std::string stats_line() const;  // "sync path=cpu(probe) acquires=... gpu=... cpu=..."

    struct Impl;

private:
    explicit ExplicitSync(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Measures whether a GPU-side wait on an unsignalled sync_file blocks the submitting thread
// (vgem fence + udmabuf texture; the fence is signalled by a helper thread after hold).
// Errc::unsupported when vgem or udmabuf or DMA-BUF import is missing.
struct ProbeResult {
    bool blocks = false;
    double submit_ms = 0;  // time in BeginAccess+Submit+EndAccess on the calling thread
    double hold_ms = 0;
};
Result<ProbeResult> probe_gpu_wait_blocks(Bridge& bridge, std::chrono::milliseconds hold = std::chrono::milliseconds(150));

// Driver identity rule (used when the probe cannot run): CPU (software) adapters block.
bool driver_known_to_block(Bridge& bridge, std::string* why = nullptr);

}  // namespace wlgpu::sync
